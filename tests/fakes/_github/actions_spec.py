"""The two Actions operations the fake serves that the cut of GitHub's description
(`../shared/github/rest-api-subset.json`) lacks, written in the same OpenAPI 3.0 form from
GitHub's REST documentation, so that the conformance check judges these answers too.

Sources:
- "Create a workflow dispatch event": docs.github.com/rest/actions/workflows#create-a-workflow-
  dispatch-event (operation `actions/create-workflow-dispatch`): path parameter `workflow_id`,
  "the ID of the workflow. You can also pass the workflow file name as a string"; body `ref`
  (required: "the git reference for the workflow"), `inputs` ("input keys and values configured
  in the workflow file", at most 25 properties), `return_run_details` (boolean, since the
  changelog of 2026-02-19); answers `204 No Content`, or `200` with `workflow_run_id`, `run_url`
  and `html_url` when run details are asked for. Fine-grained tokens need "Actions" (write).
- "Get a workflow run": docs.github.com/rest/actions/workflow-runs#get-a-workflow-run
  (operation `actions/get-workflow-run`): path parameter `run_id`, query `exclude_pull_requests`;
  answers `200` with a `workflow-run`. "Actions" (read).
- The `workflow-run` schema ("An invocation of a workflow") with its required properties, and
  `simple-commit` and `referenced-workflow`, as GitHub's description (github/rest-api-
  description, `components/schemas`) defines them; `simple-user`, `minimal-repository` and
  `pull-request-minimal` are the subset's own.
"""

from __future__ import annotations

from typing import Any

_STRING = {"type": "string"}
_INTEGER = {"type": "integer"}
_NULLABLE_STRING = {"type": "string", "nullable": True}
_TIME = {"type": "string", "format": "date-time"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _path_parameter(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": schema,
    }


_OWNER_REPO = [{"$ref": "#/components/parameters/owner"}, {"$ref": "#/components/parameters/repo"}]

_PERSON = {
    "type": "object",
    "nullable": True,
    "properties": {"name": _STRING, "email": _STRING},
    "required": ["name", "email"],
}

SCHEMAS: dict[str, Any] = {
    "simple-commit": {
        "title": "Simple Commit",
        "description": "A commit.",
        "type": "object",
        "properties": {
            "id": _STRING,
            "tree_id": _STRING,
            "message": _STRING,
            "timestamp": _TIME,
            "author": _PERSON,
            "committer": _PERSON,
        },
        "required": ["id", "tree_id", "message", "timestamp", "author", "committer"],
    },
    "nullable-simple-commit": {
        "title": "Simple Commit",
        "description": "A commit.",
        "type": "object",
        "nullable": True,
        "properties": {
            "id": _STRING,
            "tree_id": _STRING,
            "message": _STRING,
            "timestamp": _TIME,
            "author": _PERSON,
            "committer": _PERSON,
        },
        "required": ["id", "tree_id", "message", "timestamp", "author", "committer"],
    },
    "referenced-workflow": {
        "title": "Referenced workflow",
        "description": "A workflow referenced/reused by the initial caller workflow",
        "type": "object",
        "properties": {"path": _STRING, "sha": _STRING, "ref": _STRING},
        "required": ["path", "sha"],
    },
    "workflow-run": {
        "title": "Workflow Run",
        "description": "An invocation of a workflow",
        "type": "object",
        "properties": {
            "id": _INTEGER,
            "name": _NULLABLE_STRING,
            "node_id": _STRING,
            "check_suite_id": _INTEGER,
            "check_suite_node_id": _STRING,
            "head_branch": _NULLABLE_STRING,
            "head_sha": _STRING,
            "path": _STRING,
            "run_number": _INTEGER,
            "run_attempt": _INTEGER,
            "referenced_workflows": {
                "type": "array",
                "nullable": True,
                "items": _ref("referenced-workflow"),
            },
            "event": _STRING,
            "status": _NULLABLE_STRING,
            "conclusion": _NULLABLE_STRING,
            "workflow_id": _INTEGER,
            "url": _STRING,
            "html_url": _STRING,
            "pull_requests": {
                "type": "array",
                "nullable": True,
                "items": _ref("pull-request-minimal"),
            },
            "created_at": _TIME,
            "updated_at": _TIME,
            "actor": _ref("simple-user"),
            "triggering_actor": _ref("simple-user"),
            "run_started_at": _TIME,
            "jobs_url": _STRING,
            "logs_url": _STRING,
            "check_suite_url": _STRING,
            "artifacts_url": _STRING,
            "cancel_url": _STRING,
            "rerun_url": _STRING,
            "previous_attempt_url": _NULLABLE_STRING,
            "workflow_url": _STRING,
            "head_commit": _ref("nullable-simple-commit"),
            "repository": _ref("minimal-repository"),
            "head_repository": _ref("minimal-repository"),
            "head_repository_id": _INTEGER,
            "display_title": _STRING,
        },
        "required": [
            "id",
            "node_id",
            "head_branch",
            "run_number",
            "display_title",
            "event",
            "status",
            "conclusion",
            "head_sha",
            "path",
            "workflow_id",
            "url",
            "html_url",
            "created_at",
            "updated_at",
            "head_commit",
            "head_repository",
            "repository",
            "jobs_url",
            "logs_url",
            "check_suite_url",
            "cancel_url",
            "rerun_url",
            "artifacts_url",
            "workflow_url",
            "pull_requests",
        ],
    },
    "workflow-dispatch-response": {
        "title": "Workflow Dispatch Response",
        "description": "Response containing the workflow run ID and URLs.",
        "type": "object",
        "properties": {"workflow_run_id": _INTEGER, "run_url": _STRING, "html_url": _STRING},
        "required": ["workflow_run_id", "run_url", "html_url"],
    },
}

PATHS: dict[str, Any] = {
    "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches": {
        "post": {
            "summary": "Create a workflow dispatch event",
            "operationId": "actions/create-workflow-dispatch",
            "externalDocs": {
                "description": "API method documentation",
                "url": "https://docs.github.com/rest/actions/workflows#create-a-workflow-dispatch-event",
            },
            "parameters": [
                *_OWNER_REPO,
                _path_parameter(
                    "workflow_id",
                    {"oneOf": [_INTEGER, _STRING]},
                    "The ID of the workflow. You can also pass the workflow file name as a string.",
                ),
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "ref": _STRING,
                                "inputs": {
                                    "type": "object",
                                    "additionalProperties": True,
                                    "maxProperties": 25,
                                },
                                "return_run_details": {"type": "boolean"},
                            },
                            "required": ["ref"],
                        }
                    }
                },
            },
            "responses": {
                "200": {
                    "description": "Response including the workflow run ID and URLs when "
                    "`return_run_details` parameter is `true`.",
                    "content": {"application/json": {"schema": _ref("workflow-dispatch-response")}},
                },
                "204": {"description": "Empty response when `return_run_details` is `false`."},
            },
        }
    },
    "/repos/{owner}/{repo}/actions/runs/{run_id}": {
        "get": {
            "summary": "Get a workflow run",
            "operationId": "actions/get-workflow-run",
            "externalDocs": {
                "description": "API method documentation",
                "url": "https://docs.github.com/rest/actions/workflow-runs#get-a-workflow-run",
            },
            "parameters": [
                *_OWNER_REPO,
                _path_parameter("run_id", _INTEGER, "The unique identifier of the workflow run."),
                {
                    "name": "exclude_pull_requests",
                    "in": "query",
                    "required": False,
                    "description": "If `true` pull requests are omitted from the response "
                    "(empty array).",
                    "schema": {"type": "boolean", "default": False},
                },
            ],
            "responses": {
                "200": {
                    "description": "Response",
                    "content": {"application/json": {"schema": _ref("workflow-run")}},
                }
            },
        }
    },
}


def with_actions(spec: dict[str, Any]) -> dict[str, Any]:
    """`spec` (GitHub's description, cut) with these operations and schemas where it lacks them."""
    paths = {**PATHS, **spec["paths"]}
    schemas = {**SCHEMAS, **spec["components"]["schemas"]}
    return {**spec, "paths": paths, "components": {**spec["components"], "schemas": schemas}}
