"""fapai (法拍): online price inquiry and online judicial auction for Chinese court enforcement.

The ground floor every room stands on, importing none of them: settings (`fapai.settings`),
the database and migrations (`fapai.db`), exact money (`fapai.money`), the injected clock
(`fapai.clock`), the law (`fapai.law`), typed errors (`fapai.errors`), regions
(`fapai.regions`), logging (`fapai.logs`) and metrics (`fapai.metrics`). The rooms are the
top-level packages `auction`, `valuation`, `crawlers` and `app` (which holds the `fapai`
command, `app.cli`).
"""

__version__ = "0.1.0"
