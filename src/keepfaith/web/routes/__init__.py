"""HTTP routes, one module per area; ``keepfaith.web.app.ROUTERS`` lists them."""
