"""Scrapy project collecting market listings and judicial auction results."""
