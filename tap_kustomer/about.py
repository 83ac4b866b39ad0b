"""--about: name, version, capabilities and every setting, from the one table in config.SETTINGS."""
import orjson

from . import __version__
from .config import SETTINGS
from .streams import STREAMS

NAME = "tap-kustomer"
DESCRIPTION = "Singer tap for Kustomer: lossless incremental sync, resumable, rate-limit aware"
CAPABILITIES = ["catalog", "discover", "state", "about"]
JSON_TYPES = {"string": "string", "password": "string", "date_iso8601": "string", "integer": "integer"}


def settings_schema():
    """The settings as JSON Schema, the shape Meltano's SDK taps print with --about --format json."""
    properties = {}
    for setting in SETTINGS:
        prop = {"type": [JSON_TYPES[setting.kind]] + ([] if setting.required else ["null"]),
                "description": setting.description}
        if setting.default is not None:
            prop["default"] = setting.default
        if setting.kind == "date_iso8601":
            prop["format"] = "date-time"
        if setting.kind == "password":
            prop["secret"] = True
            prop["writeOnly"] = True
        if setting.minimum is not None:
            prop["minimum"], prop["maximum"] = setting.minimum, setting.maximum
        if setting.aliases:
            prop["aliases"] = list(setting.aliases)
        properties[setting.name] = prop
    return {"type": "object", "properties": properties,
            "required": [setting.name for setting in SETTINGS if setting.required]}


def about_json():
    document = {"name": NAME, "description": DESCRIPTION, "version": __version__,
                "supported_python_versions": ["3.10", "3.11", "3.12", "3.13"],
                "capabilities": CAPABILITIES, "streams": [stream.name for stream in STREAMS],
                "settings": settings_schema()}
    return orjson.dumps(document, option=orjson.OPT_INDENT_2).decode()


def settings_table():
    """The README's config table: generated here, and a test keeps the README equal to it."""
    lines = ["| key | type | required | default | meaning |", "|---|---|---|---|---|"]
    for setting in SETTINGS:
        default = "" if setting.default is None else f"`{setting.default}`"
        names = " / ".join(f"`{name}`" for name in (setting.name,) + setting.aliases)
        lines.append(f"| {names} | {setting.kind} | {'yes' if setting.required else 'no'} | {default} | "
                     f"{setting.description} |")
    return "\n".join(lines)


def about_markdown():
    return "\n".join([f"# {NAME} {__version__}", "", DESCRIPTION, "",
                      f"Capabilities: {', '.join(CAPABILITIES)}", "",
                      f"Streams: {', '.join(stream.name for stream in STREAMS)}", "", "## Settings", "",
                      settings_table()])


def about_text():
    lines = [f"{NAME} {__version__}: {DESCRIPTION}", f"capabilities: {', '.join(CAPABILITIES)}", "settings:"]
    for setting in SETTINGS:
        default = "" if setting.default is None else f" (default {setting.default})"
        required = " [required]" if setting.required else ""
        env = "TAP_KUSTOMER_" + setting.name.upper()
        lines.append(f"  {setting.name}: {setting.kind}{required}{default}  env {env}\n      {setting.description}")
    return "\n".join(lines)


def render(fmt):
    return {"json": about_json, "markdown": about_markdown}.get(fmt, about_text)()
