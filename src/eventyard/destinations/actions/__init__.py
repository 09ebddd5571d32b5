"""Segment's open-source Actions destinations, run unmodified by a Node.js child process.

`catalog` turns the package's metadata into destination types `actions/<slug>`; `runner`
is the server's side of the child (`runner.cjs`) that executes their actions, with every
outbound request sent back through eventyard's outbound client. See docs/destinations.md.
"""
