"""fapai (法拍): online price inquiry and online judicial auction for Chinese court enforcement.

Shared foundation used by every room: settings (`fapai.settings`), the database
(`fapai.db`), exact money (`fapai.money`), the injected clock (`fapai.clock`) and the
one CLI (`fapai.cli`). The rooms are the top-level packages `auction`, `valuation`
and `crawlers`.
"""

__version__ = "0.1.0"
