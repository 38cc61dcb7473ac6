"""Internationalisation: catalogues, glossary, runtime language, locale formats."""
