"""Tables, figures and documents from results (the only package that imports matplotlib)."""
