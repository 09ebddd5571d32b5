"""`python -m eventyard` is the same as the `eventyard` command."""

from eventyard.cli import main

main()
