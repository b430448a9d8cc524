"""Meals: POST/GET /api/nutrition/meals."""

from __future__ import annotations

from aiohttp import web

from gymhub.auth import policy
from gymhub.data import meals
from gymhub.handlers.client_data import ClientRecords
from gymhub.handlers.common import ID, id_param, path_id
from gymhub.handlers.files import uploads_of
from gymhub.handlers.meal_form import MEAL_FORM, read_meal_form
from gymhub.schemas.coaching import Meal, MealCreate, MealList, MealPatch, api_time
from gymhub.schemas.common import documented
from gymhub.services.meal_upload import log_meal_with_photos
from gymhub.services.meals import NewMeal, delete_meal, edit_meal, log_meal
from gymhub.views.meals import meals_view
from gymhub.web.appkeys import db_key, hub_key, storage_key
from gymhub.web.bodies import json_response, no_content, read_json
from gymhub.web.forms import is_multipart_form
from gymhub.web.idempotency import idempotent
from gymhub.web.identity import current_viewer

routes = web.RouteTableDef()
MEALS = ClientRecords(
    list_for=meals.list_for,
    get=meals.get,
    view=meals_view,
    missing="No such meal.",
    client_id=id_param("client_id", "whose meals (default: the caller's own)"),
    before=id_param("before", "only meals with a smaller id (newest first)"),
)


@routes.post("/api/nutrition/meals")
@documented(
    "Log a meal (clients), as JSON or as multipart/form-data with up to 6 photos (parts "
    "`file`, all stored or none); notifies the client and their trainers",
    request=MealCreate,
    response=Meal,
    status=201,
    form=MEAL_FORM,
)
@idempotent
async def create_meal(request: web.Request) -> web.Response:
    viewer = await current_viewer(request)
    policy.logs_own_data(viewer, "meals")
    app = request.app
    if is_multipart_form(request):
        meal = await log_meal_with_photos(
            uploads_of(app), viewer, lambda body: read_meal_form(request, body)
        )
        return json_response(meal, status=201)
    body = await read_json(request, MealCreate)
    eaten_at = api_time(body.eaten_at, "eaten_at") if body.eaten_at else None
    new = NewMeal(body.meal_name, eaten_at, body.notes)
    meal = await log_meal(app[db_key], app[hub_key].publish, viewer, new)
    return json_response(meal, status=201)


@routes.get("/api/nutrition/meals")
@documented("A client's meals, newest first", response=MealList, query=MEALS.query)
async def list_meals(request: web.Request) -> web.Response:
    return json_response(MealList(await MEALS.page(request)))


@routes.get("/api/nutrition/meals/" + ID % "id")
@documented("One meal, if the caller may see the client's data", response=Meal)
async def get_meal(request: web.Request) -> web.Response:
    return json_response(await MEALS.one(request))


@routes.patch("/api/nutrition/meals/" + ID % "id")
@documented(
    "Correct a meal (the client who logged it); notifies the client and their trainers",
    request=MealPatch,
    response=Meal,
)
async def patch_meal(request: web.Request) -> web.Response:
    viewer = await current_viewer(request)
    meal_id = path_id(request, "id")
    changes = (await read_json(request, MealPatch)).given()
    if "eaten_at" in changes:
        changes["eaten_at"] = api_time(changes["eaten_at"], "eaten_at")
    app = request.app
    meal = await edit_meal(app[db_key], app[hub_key].publish, viewer, meal_id, changes)
    return json_response(meal)


@routes.delete("/api/nutrition/meals/" + ID % "id")
@documented("Delete a meal and its photos (its client or an admin)", status=204)
async def remove_meal(request: web.Request) -> web.Response:
    viewer = await current_viewer(request)
    meal_id = path_id(request, "id")
    app = request.app
    await delete_meal(app[db_key], app[storage_key], app[hub_key].publish, viewer, meal_id)
    return no_content()
