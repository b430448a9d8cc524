"""Meals: POST/GET /api/nutrition/meals."""

from __future__ import annotations

import sqlite3

from aiohttp import web

from gymhub.auth import policy
from gymhub.data import meals
from gymhub.errors import NotFound
from gymhub.handlers.common import ID, LIMIT, id_param, path_id
from gymhub.schemas.coaching import Meal, MealCreate, MealList, api_time
from gymhub.schemas.common import documented, json_response, read_json
from gymhub.services.meals import NewMeal, log_meal
from gymhub.views.meals import meals_view
from gymhub.web.appkeys import db_key, hub_key
from gymhub.web.identity import current_viewer

routes = web.RouteTableDef()
CLIENT_ID = id_param("client_id", "whose meals (default: the caller's own)")
BEFORE = id_param("before", "only meals with a smaller id (newest first)")
LIST_QUERY = (CLIENT_ID, LIMIT, BEFORE)


@routes.post("/api/nutrition/meals")
@documented(
    "Log a meal (clients); notifies the client and their trainers",
    request=MealCreate,
    response=Meal,
    status=201,
)
async def create_meal(request: web.Request) -> web.Response:
    viewer = await current_viewer(request)
    policy.logs_own_data(viewer, "meals")
    body = await read_json(request, MealCreate)
    eaten_at = api_time(body.eaten_at, "eaten_at") if body.eaten_at else None
    new = NewMeal(body.meal_name, eaten_at, body.notes)
    app = request.app
    meal = await log_meal(app[db_key], app[hub_key].publish, viewer, new)
    return json_response(meal, status=201)


@routes.get("/api/nutrition/meals")
@documented("A client's meals, newest first", response=MealList, query=LIST_QUERY)
async def list_meals(request: web.Request) -> web.Response:
    viewer = await current_viewer(request)
    client_id = CLIENT_ID.read(request) or viewer.id
    limit = LIMIT.get(request)
    before = BEFORE.read(request)

    def load(conn: sqlite3.Connection) -> list[Meal]:
        policy.client_data(conn, viewer, client_id)
        return meals_view(conn, viewer, meals.list_for(conn, client_id, limit, before))

    return json_response(MealList(await request.app[db_key].read(load)))


@routes.get("/api/nutrition/meals/" + ID % "id")
@documented("One meal, if the caller may see the client's data", response=Meal)
async def get_meal(request: web.Request) -> web.Response:
    viewer = await current_viewer(request)
    meal_id = path_id(request, "id")

    def load(conn: sqlite3.Connection) -> Meal:
        row = meals.get(conn, meal_id)
        if row is None:
            raise NotFound("No such meal.")
        try:
            policy.client_data(conn, viewer, row["client_id"])
        except NotFound:
            raise NotFound("No such meal.") from None
        return meals_view(conn, viewer, [row])[0]

    return json_response(await request.app[db_key].read(load))
