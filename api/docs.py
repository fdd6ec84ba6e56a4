"""The pages that render the OpenAPI document: Swagger UI at /api/docs/, ReDoc at
/api/redoc/, both from the sidecar package (no CDN, no web fonts).

(Not in api/schema.py: drf-spectacular imports the schema class while its own views module
is still loading.)"""

from csp.constants import NONCE, UNSAFE_INLINE
from csp.decorators import csp_update
from django.utils.decorators import method_decorator
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView


# The site's CSP (settings.CONTENT_SECURITY_POLICY) allows no inline script or style; these
# two pages, and only they, add what their viewer needs:
# - Swagger UI: a per-response nonce for the page's one inline style.
# - ReDoc: a nonce for the script that starts it; inline styles, because its bundle injects
#   a stylesheet while it loads, before any nonce could be handed to it (a nonce in
#   style-src would also switch 'unsafe-inline' off); blob: workers for its search.
# Images, fonts and connections stay 'self' (ReDoc's Redocly logo from cdn.redoc.ly is
# refused, and hidden by ReDoc when it fails to load).
@method_decorator(csp_update({"style-src": [NONCE]}), name="dispatch")
class SwaggerView(SpectacularSwaggerSplitView):
    pass


@method_decorator(
    csp_update({"script-src": [NONCE], "style-src": [UNSAFE_INLINE], "worker-src": ["blob:"]}),
    name="dispatch",
)
class RedocView(SpectacularRedocView):
    pass
