"""``python -m observatory.sample``: write the synthetic sample (see :func:`observatory.sample.main`)."""

import sys

from observatory.sample import main

sys.exit(main())
