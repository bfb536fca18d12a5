"""`python -m nvmeprobe.sim SPEC --socket PATH [--parent-pid PID]`: the server child process."""

import sys

from nvmeprobe.sim.server import main

sys.exit(main())
