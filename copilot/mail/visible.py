"""Keep only the HTML a reader sees: hidden elements, invisible text and comments are dropped.

Mail can carry text no person sees (display:none, zero-size or invisible-colour text, the `hidden`
attribute, comments) and that text would otherwise reach the classifier. This filter re-emits the
HTML without it, in one pass with a stack of open elements, so its cost is linear in the input.
Unclosed hidden elements hide what follows them, as they do in a browser.
"""

import html
import re
from collections import Counter
from html.parser import HTMLParser

VOID = frozenset("area base br col embed hr img input keygen link meta param source track wbr".split())
DROPPED = frozenset("script style head title template object iframe svg math".split())  # never shown as text
# Elements a new one of the same kind closes implicitly (<p>a<p>b): without this the second <p> would sit inside a hidden first one.
SELF_CLOSING_SIBLINGS = frozenset("p li dt dd tr td th option".split())
HEAD_CONTENT = frozenset("title meta link style script base noscript template".split())

_DECLARATION = re.compile(r"\s*([a-zA-Z-]+)\s*:\s*([^;]*)")
_RULE = re.compile(r"([^{}]{1,2000})\{([^{}]{0,5000})\}")
_SIMPLE_SELECTOR = re.compile(r"^\s*[a-zA-Z0-9]*([.#])([\w-]+)\s*$")
_NUMBER = re.compile(r"-?\d*\.?\d+")
_HEX = re.compile(r"#([0-9a-fA-F]{3,8})\b")
_RGB = re.compile(r"rgba?\(\s*([\d.]+%?)\s*[, ]\s*([\d.]+%?)\s*[, ]\s*([\d.]+%?)\s*(?:[,/]\s*([\d.]+%?)\s*)?\)")
NAMED = {"white": (255, 255, 255), "black": (0, 0, 0), "snow": (255, 250, 250), "ivory": (255, 255, 240),
         "whitesmoke": (245, 245, 245), "ghostwhite": (248, 248, 255), "azure": (240, 255, 255), "red": (255, 0, 0),
         "blue": (0, 0, 255), "green": (0, 128, 0), "gray": (128, 128, 128), "grey": (128, 128, 128),
         "silver": (192, 192, 192), "yellow": (255, 255, 0), "navy": (0, 0, 128)}  # fmt: skip
WHITE = (255, 255, 255)
Color = tuple[int, int, int]


def _color(value: str) -> Color | None | str:
    """An (r, g, b) colour, 'transparent' for a fully transparent one, or None when not understood."""
    value = value.strip().lower()
    if value in ("transparent", "none"):
        return "transparent"
    if value in NAMED:
        return NAMED[value]
    if m := _HEX.search(value):
        digits = m.group(1)
        if len(digits) in (3, 4):
            if len(digits) == 4 and digits[3] == "0":
                return "transparent"
            return tuple(int(c * 2, 16) for c in digits[:3])  # type: ignore[return-value]
        if len(digits) in (6, 8):
            if len(digits) == 8 and digits[6:] == "00":
                return "transparent"
            return tuple(int(digits[i : i + 2], 16) for i in (0, 2, 4))  # type: ignore[return-value]
        return None
    if m := _RGB.search(value):
        def channel(raw: str) -> int:
            return round(float(raw[:-1]) * 2.55) if raw.endswith("%") else round(float(raw))

        alpha = m.group(4)
        if alpha is not None and (float(alpha.rstrip("%")) == 0):
            return "transparent"
        return tuple(min(255, channel(g)) for g in m.groups()[:3])  # type: ignore[return-value]
    return None


def _close(a: Color, b: Color) -> bool:
    return all(abs(x - y) <= 24 for x, y in zip(a, b, strict=True))


def _length_is_zero(value: str) -> bool:
    m = _NUMBER.search(value)
    if m is None:
        return False
    number = float(m.group(0))
    unit = value[m.end() : m.end() + 3].strip().lower()
    return number <= 0 or (unit.startswith(("px", "pt")) and number < 2) or (unit.startswith(("em", "rem")) and number < 0.15)


def _far_off(value: str) -> bool:
    m = _NUMBER.search(value)
    return m is not None and float(m.group(0)) <= -500


def hides(style: str, background: Color) -> tuple[bool, Color]:
    """Whether an inline style hides its element's text, and the background its children inherit."""
    props: dict[str, str] = {}
    for m in _DECLARATION.finditer(style[:5000]):
        props[m.group(1).lower()] = m.group(2).replace("!important", "").strip().lower()
    for key in ("background-color", "background"):
        if key in props:
            parsed = _color(props[key].split()[0] if props[key] else "")
            if isinstance(parsed, tuple):
                background = parsed
            break
    if props.get("display") == "none" or props.get("visibility") in ("hidden", "collapse"):
        return True, background
    if "opacity" in props and (m := _NUMBER.search(props["opacity"])) and float(m.group(0)) < 0.1:
        return True, background
    if "font-size" in props and _length_is_zero(props["font-size"]):
        return True, background
    if any(_length_is_zero(props.get(k, "1")) for k in ("height", "max-height", "width", "max-width")) and "hidden" in props.get("overflow", ""):
        return True, background
    if any(_far_off(props.get(k, "0")) for k in ("text-indent", "left", "top", "margin-left", "margin-top")):
        return True, background
    if "clip" in props and re.search(r"rect\(\s*0", props["clip"]):
        return True, background
    if "color" in props:
        color = _color(props["color"])
        if color == "transparent" or (isinstance(color, tuple) and _close(color, background)):
            return True, background
    return False, background


def _hidden_selectors(css: str) -> tuple[set[str], set[str]]:
    """Classes and ids that a <style> block hides with a simple `.name` or `#name` rule."""
    classes: set[str] = set()
    ids: set[str] = set()
    for m in _RULE.finditer(css):
        if not hides(m.group(2), WHITE)[0]:
            continue
        for selector in m.group(1).split(","):
            simple = _SIMPLE_SELECTOR.match(selector)
            if simple:
                (classes if simple.group(1) == "." else ids).add(simple.group(2))
    return classes, ids


class _Visible(HTMLParser):
    def __init__(self, hidden_classes: set[str], hidden_ids: set[str]):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.stack: list[tuple[str, bool, Color]] = []  # (tag, hidden, background)
        self.open = Counter[str]()
        self.hidden_classes, self.hidden_ids = hidden_classes, hidden_ids

    def _state(self) -> tuple[bool, Color]:
        return (self.stack[-1][1], self.stack[-1][2]) if self.stack else (False, WHITE)

    def _hidden(self, tag: str, attrs: list[tuple[str, str | None]], background: Color) -> tuple[bool, Color]:
        values = {k.lower(): (v or "") for k, v in attrs}
        if tag in DROPPED or "hidden" in values or values.get("type", "").lower() == "hidden":
            return True, background
        if self.hidden_classes and any(c in self.hidden_classes for c in values.get("class", "").split()):
            return True, background
        if values.get("id") and values["id"] in self.hidden_ids:
            return True, background
        if "bgcolor" in values and isinstance(parsed := _color(values["bgcolor"]), tuple):
            background = parsed
        if tag == "font":
            color = _color(values.get("color", "")) if values.get("color") else None
            if color == "transparent" or (isinstance(color, tuple) and _close(color, background)):
                return True, background
            if values.get("size", "").strip() in ("0", "-7"):
                return True, background
        return hides(values["style"], background) if values.get("style") else (False, background)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.open["head"] and tag not in HEAD_CONTENT:
            self.handle_endtag("head")  # body content ends an unclosed <head>, as in a browser
        if tag in SELF_CLOSING_SIBLINGS and self.stack and self.stack[-1][0] == tag:
            self.handle_endtag(tag)
        parent_hidden, background = self._state()
        hidden, background = self._hidden(tag, attrs, background)
        hidden = hidden or parent_hidden
        if not hidden:
            self.out.append(self._tag(tag, attrs, tag in VOID))
        if tag not in VOID:
            self.stack.append((tag, hidden, background))
            self.open[tag] += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self._state()[0] and not self._hidden(tag, attrs, self._state()[1])[0]:
            self.out.append(self._tag(tag, attrs, True))

    def handle_endtag(self, tag: str) -> None:
        if not self.open[tag]:
            return  # a stray end tag closes nothing
        while self.stack:
            name, hidden, _ = self.stack.pop()
            self.open[name] -= 1
            if not hidden:
                self.out.append(f"</{name}>")
            if name == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self._state()[0]:
            self.out.append(html.escape(data, quote=False))

    @staticmethod
    def _tag(tag: str, attrs: list[tuple[str, str | None]], void: bool) -> str:
        kept = "".join(f' {k}="{html.escape(v or "", quote=True)}"' for k, v in attrs if k in ("href", "alt", "colspan", "rowspan"))
        return f"<{tag}{kept}{' /' if void else ''}>"

    # Comments, declarations and processing instructions are never shown.
    def handle_comment(self, data: str) -> None:
        return None

    def unknown_decl(self, data: str) -> None:
        return None


_STYLE_BLOCK = re.compile(r"<style[^>]*>(.*?)</style\s*>", re.I | re.S)


def visible_html(markup: str) -> str:
    """`markup` without the parts a reader of the rendered mail would not see."""
    css = "\n".join(m.group(1) for m in _STYLE_BLOCK.finditer(markup)) if "<style" in markup.lower() else ""
    parser = _Visible(*_hidden_selectors(css))
    parser.feed(markup)
    parser.close()
    return "".join(parser.out)
