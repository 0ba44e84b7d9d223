"""A cell's thumbnail that opens the cell when clicked, as on a CellaVision review screen.

``st.image`` can only link to a URL, and following a link starts a new session
(the batch and its review would be gone), so the thumbnail is a small custom
component (Streamlit's components v2: inline HTML and JavaScript, no iframe,
nothing fetched) whose click is a trigger value that runs a callback in this
session. The image is a button, so the keyboard reaches it too.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable

import streamlit as st
from PIL import Image

_CSS = """
button.bcds-thumbnail {
    padding: 0;
    border: 2px solid transparent;
    border-radius: 0.5rem;
    background: none;
    cursor: pointer;
    line-height: 0;
}
button.bcds-thumbnail:hover, button.bcds-thumbnail:focus-visible {
    border-color: var(--st-primary-color);
}
button.bcds-thumbnail[aria-pressed="true"] {
    border-color: var(--st-primary-color);
}
"""

_JS = """
export default function ({ data, parentElement, setTriggerValue }) {
    let button = parentElement.querySelector("button.bcds-thumbnail");
    if (!button) {
        button = document.createElement("button");
        button.className = "bcds-thumbnail";
        button.appendChild(document.createElement("img"));
        button.addEventListener("click", () => setTriggerValue("clicked", true));
        parentElement.appendChild(button);
    }
    const image = button.querySelector("img");
    image.src = data.src;
    image.alt = data.alt;
    image.width = data.width;
    button.title = data.alt;
    button.setAttribute("aria-pressed", data.pressed ? "true" : "false");
}
"""

_thumbnail_button = st.components.v2.component("bcds_clickable_thumbnail", css=_CSS, js=_JS)


def data_uri(image: Image.Image) -> str:
    """The image as an inline JPEG (a 96-px cell is about 3 kB), so nothing is served or fetched."""
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=90)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def clickable_thumbnail(
    image: Image.Image, alt: str, on_click: Callable[[], None], key: str, pressed: bool = False
) -> None:
    """Draw ``image`` as a button; a click calls ``on_click`` before the page reruns.

    Args:
        alt: the image's text alternative, also its tooltip.
        key: a widget key unique on the page.
        pressed: draw it as the selected one (its cell is open).
    """
    _thumbnail_button(
        data={"src": data_uri(image), "alt": alt, "width": image.width, "pressed": pressed},
        key=key,
        on_clicked_change=on_click,
    )
