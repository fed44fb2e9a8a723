"""A plain, textbook PyTorch WGAN-GP loop: the baseline the benchmarks compare wgangp against.

Written the way a typical user writes it (and as most public ports of the paper's code do):
three critic forwards per critic step (real, fake, interpolates), ``autograd.grad`` with
``create_graph=True`` and ``grad_outputs=ones``, ``nn.ReLU``, default Adam, ``.detach()`` on the
fake batch, critic weight-gradients computed in the generator step, and ``.item()`` every step.
Same networks, initialisation, data and maths as wgangp.
"""
from __future__ import annotations

import torch
from torch import autograd

from wgangp.config import Config
from wgangp.domains import build_source
from wgangp.nets import build_networks


class PlainWGANGP:
    def __init__(self, cfg: Config, device: torch.device):
        model_cfg = type(cfg.model)(**{**cfg.model.__dict__, "activation": "relu-native"})
        torch.manual_seed(cfg.seed)
        self.cfg, self.device = cfg, device
        self.source = build_source(cfg.data, cfg.seed)
        self.G, self.D = (m.to(device) for m in build_networks(model_cfg, self.source.shape))
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=cfg.optim.lr, betas=cfg.optim.betas)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=cfg.optim.lr, betas=cfg.optim.betas)
        self.log = []

    def iteration(self) -> None:
        cfg, dev = self.cfg, self.device
        b = cfg.data.batch_size
        for _ in range(cfg.train.n_critic):
            real = self.source.sample_batch().to(dev)
            z = torch.randn(b, cfg.model.noise_dim, device=dev)
            fake = self.G(z).detach()
            d_real = self.D(real).mean()
            d_fake = self.D(fake).mean()
            alpha = torch.rand(b, *([1] * (real.dim() - 1)), device=dev)
            interp = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
            d_interp = self.D(interp)
            grads = autograd.grad(outputs=d_interp, inputs=interp, grad_outputs=torch.ones_like(d_interp),
                                  create_graph=True, retain_graph=True)[0]
            gp = ((grads.view(b, -1).norm(2, dim=1) - 1) ** 2).mean()
            d_loss = d_fake - d_real + cfg.loss.gp_weight * gp
            self.opt_d.zero_grad()
            d_loss.backward()
            self.opt_d.step()
            self.log.append((d_real - d_fake).item())
        z = torch.randn(cfg.train.gen_batch_size or b, cfg.model.noise_dim, device=dev)
        g_loss = -self.D(self.G(z)).mean()
        self.opt_g.zero_grad()
        g_loss.backward()
        self.opt_g.step()
        self.log.append(g_loss.item())
