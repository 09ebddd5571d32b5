"""What a browser would send for a form on a page, read from the page's HTML: so that a test
can submit a form exactly as it is shown (the round trip a person makes by clicking Save)."""

from __future__ import annotations

from html.parser import HTMLParser

__all__ = ["form_pairs"]


class _Form(HTMLParser):
    def __init__(self, action: str) -> None:
        super().__init__(convert_charrefs=True)
        self.action = action
        self.inside = False
        self.pairs: list[tuple[str, str]] = []
        self.select: tuple[str, list[tuple[str, bool]]] | None = None
        self.textarea: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.inside = found.get("action") == self.action
        if not self.inside or "disabled" in found:
            return
        name = found.get("name")
        if tag == "input" and name:
            kind = found.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in found:
                    self.pairs.append((name, found.get("value", "on")))
            elif kind not in ("submit", "button", "reset"):
                self.pairs.append((name, found.get("value", "")))
        elif tag == "select" and name:
            self.select = (name, [])
        elif tag == "option" and self.select is not None:
            self.select[1].append((found.get("value", ""), "selected" in found))
        elif tag == "textarea" and name:
            self.textarea = (name, [])

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            self.textarea[1].append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select" and self.select is not None:
            name, options = self.select
            chosen = [value for value, selected in options if selected] or [options[0][0]]
            self.pairs.append((name, chosen[0]))
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            text = "".join(self.textarea[1])
            self.pairs.append((self.textarea[0], text.removeprefix("\n")))
            self.textarea = None


def form_pairs(html: str, action: str) -> list[tuple[str, str]]:
    """The fields the form posting to `action` submits (no button pressed)."""
    parser = _Form(action)
    parser.feed(html)
    return parser.pairs
