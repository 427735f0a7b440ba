"""Starts Swiftlet's Python runtime client.

A script run by path is compiled from source at every start; a module imported from here is
loaded from the bytecode scripts/setup compiles beside it. So the bootstrap runs this small
file, which imports the client (its directory is first on sys.path) and runs it.
"""

import swiftlet_runtime

swiftlet_runtime.main()
