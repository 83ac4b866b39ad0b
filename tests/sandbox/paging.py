"""`page`/`pageSize` query parameters and the relative links both envelopes carry."""
from urllib.parse import parse_qsl, urlencode

from .errors import bad_request

DEFAULT_PAGE_SIZE = 100


def page_params(query_string, max_page_size):
    """(page, page_size, other_params): pageSize above the maximum is clamped silently, as the API does."""
    params = parse_qsl(query_string, keep_blank_values=True)
    values = dict(params)
    page = _positive(values, "page", 1)
    page_size = min(_positive(values, "pageSize", DEFAULT_PAGE_SIZE), max_page_size)
    return page, page_size, [(k, v) for k, v in params if k not in ("page", "pageSize")]


def _positive(values, name, default):
    raw = values.get(name)
    if raw is None:
        return default
    try:
        number = int(raw)
    except ValueError:
        number = 0
    if number < 1:
        raise bad_request(f"query parameter {name} should be an integer >= 1", f"/{name}")
    return number


def link(path, extra, page, page_size):
    """Relative link; extra query parameters come first and are echoed back, as in the API's examples."""
    return f"{path}?{urlencode([*extra, ('page', page), ('pageSize', page_size)])}"
