"""`python -m irr.cli`: the `irr` command."""
from irr.cli import main

main()
