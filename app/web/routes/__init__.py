"""Page routes, one module per part of the site; thin: read the form, call the core, render."""
