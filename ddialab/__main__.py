import sys

from ddialab.cli import main

sys.exit(main())
