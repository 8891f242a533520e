"""The language prefix of the public pages: /portal/… in English, /fr/portal/…, /es/portal/…,
/ar/portal/… in the others. In the address, so that a page is the same for everyone who opens
it (a permalink, a cache) whatever their browser's language."""

from __future__ import annotations


class LanguagePrefixConverter:
    regex = "(?:fr/|es/|ar/)?"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
