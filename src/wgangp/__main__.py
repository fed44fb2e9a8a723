import sys

from wgangp.cli import main

sys.exit(main())
