"""Running eventyard as an operator: doctor, backup, and the Node-based parts (setup)."""
