"""The application room: the FastAPI app, its JSON API and web pages, one deps module, one
schemas module, and the services the API, the pages and the CLI share. The only room that
speaks HTTP; it imports ``auction``, ``valuation`` and the ground floor ``fapai``, never the
other way round."""
