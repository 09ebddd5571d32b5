"""The Protocols section of the admin UI: `/protocols` (plans and transformations),
`/protocols/plans/<name>`, `/protocols/transformations/<name>`, `/protocols/violations`.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

import eventyard.ui.protocols_edit as edit
import eventyard.ui.protocols_pages as pages
from eventyard.control.context import ServerContext

__all__ = ["protocol_ui_routes"]


def protocol_ui_routes(ctx: ServerContext) -> list[BaseRoute]:
    """The Protocols pages, for `ui_routes`."""
    plan, step = "/protocols/plans/{name}", "/protocols/transformations/{name}"
    return [
        Route("/protocols", pages.protocols_page(ctx), methods=["GET"]),
        Route("/protocols/violations", pages.violations_page(ctx), methods=["GET"]),
        Route("/protocols/plans", edit.create_plan(ctx), methods=["POST"]),
        Route("/protocols/import", edit.import_plan_form(ctx), methods=["POST"]),
        Route(plan, pages.plan_page(ctx), methods=["GET"]),
        Route(plan, edit.save_plan_json(ctx), methods=["POST"]),
        Route(plan + "/settings", edit.save_plan_settings(ctx), methods=["POST"]),
        Route(plan + "/delete", edit.delete_plan(ctx), methods=["POST"]),
        *(
            Route(f"{plan}/form/{change}", edit.edit_plan_form(ctx), methods=["POST"])
            for change in edit.FORM_CHANGES
        ),
        Route(plan + "/download/{file}", pages.download(ctx), methods=["GET"]),
        Route("/protocols/transformations", edit.create_transformation(ctx), methods=["POST"]),
        Route(step, pages.transformation_page(ctx), methods=["GET"]),
        Route(step, edit.save_transformation(ctx), methods=["POST"]),
        Route(step + "/delete", edit.delete_transformation(ctx), methods=["POST"]),
    ]
