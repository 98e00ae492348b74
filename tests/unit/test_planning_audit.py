"""The audit `baton plan` starts from, made from small real repositories (real git, the test
command really run): its Markdown is what the planner and people read, so it is snapshot-tested."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from planning_repos import commit_files, open_git
from syrupy.assertion import SnapshotAssertion

from bot.config import Config, ValidationConfig
from bot.planning.audit import Audit, audit_repository
from bot.planning.audit_md import audit_markdown, write_audit
from bot.redact import Redactor
from bot.sandbox import NoSandbox

EXPRESS = {
    "package.json": '{"name": "shop", "dependencies": {"express": "^4.19.0", "axios": "^1.7.0"}}\n',
    "README.md": "# Shop\n",
    "src/app.js": """\
const express = require('express');
const orders = require('./routes/orders');

const app = express();
app.use(express.json());
app.get('/health', (req, res) => res.send('ok'));
app.use('/orders', orders);

module.exports = app;
""",
    "src/routes/orders.js": """\
const { Router } = require('express');
const { total } = require('../lib/price');

const router = Router();
router.get('/', (req, res) => res.json([]));
router.post(
  '/',
  (req, res) => res.status(201).json({ total: total(req.body) }),
);
router.route('/:id')
  .get((req, res) => res.json({ id: req.params.id }))
  .delete((req, res) => { res.status(204).end(); });

module.exports = router;
""",
    "src/lib/price.js": "exports.total = (order) => order.items.length;\n",
    "src/lib/cart.js": "exports.add = (cart, item) => [...cart, item];\n",
    # An HTTP client's calls are no routes.
    "src/client/orders-client.js": "const axios = require('axios');\n"
    "exports.list = () => axios.get('/orders');\n",
    "test/cart.test.js": "const cart = require('../src/lib/cart');\n",
    # A test's requests are no routes.
    "test/app.test.js": "const request = require('supertest');\nconst app = require('../src/app');\n"
    "request(app).get('/health');\nconst router = require('express').Router();\n"
    "router.get('/fake', (req, res) => res.end());\n",
    "test.sh": "echo 'PASS test/cart.test.js'\necho 'FAIL test/app.test.js'\n"
    "echo 'Tests:       1 failed, 3 passed, 4 total'\nexit 1\n",
}

FLASK_FASTAPI = {
    "setup.py": "from setuptools import setup\nsetup(name='books')\n",
    "web/__init__.py": "",
    "web/site.py": """\
from flask import Blueprint, Flask

app = Flask(__name__)
bp = Blueprint("books", __name__)


@app.route("/")
def index():
    return "hello"


@app.route("/login", methods=["GET", "POST"])
def login():
    return "login"


@bp.get("/books/<int:book_id>")
def book(book_id):
    return str(book_id)
""",
    # No import of its own: the framework is the repository's (here both are used).
    "web/admin.py": """\
from web.site import bp


@bp.delete("/books/<int:book_id>")
def remove(book_id):
    return ""
""",
    "web/models.py": "class Book:\n    pass\n",
    "api/main.py": """\
from fastapi import APIRouter, FastAPI

app = FastAPI()
router = APIRouter(prefix="/items")


@app.get("/health")
async def health():
    return {"ok": True}


@router.post("")
async def create_item():
    return {}


@router.api_route(
    "/{item_id}",
    methods=["PUT", "PATCH"],
)
async def update_item(item_id: int):
    return {}
""",
    "tests/test_api.py": "from api.main import app\n",
    "tests/test_site.py": "from web import site\n",
    "run-tests": "#!/bin/sh\necho 'tests/test_api.py ..F.'\n"
    "echo '=== 1 failed, 3 passed in 0.05s ==='\nexit 1\n",
}

DJANGO = {
    "manage.py": "import django\n",
    "mysite/__init__.py": "",
    "mysite/settings.py": "INSTALLED_APPS = ['shop']\n",
    "mysite/urls.py": """\
from django.contrib import admin
from django.urls import include, path, re_path

from shop import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", views.index, name="index"),
    path("shop/", include("shop.urls")),
    re_path(r"^archive/(?P<year>[0-9]{4})/$", views.archive),
]
""",
    "shop/__init__.py": "",
    "shop/urls.py": """\
from django.urls import path

from . import views

urlpatterns = [path("<int:pk>/", views.BookDetail.as_view(), name="detail")]
""",
    "shop/views.py": "def index(request):\n    pass\n",
    "shop/models.py": "class Book:\n    pass\n",
    "shop/tests.py": "from shop.views import index\n",
}


def audit_of(root: Path, config: Config, base: str = "HEAD") -> Audit:
    return audit_repository(
        open_git(root), base, config, chain="books", environ=dict(os.environ), sandbox=NoSandbox()
    )


def config_with(command: str | None) -> Config:
    return Config(validation=ValidationConfig(test_command=command))


def test_audit_of_an_express_repository(tmp_path: Path, snapshot: SnapshotAssertion) -> None:
    commit_files(tmp_path, EXPRESS, executable=("test.sh",))
    assert audit_markdown(audit_of(tmp_path, config_with("./test.sh"))) == snapshot


def test_audit_of_a_flask_and_fastapi_repository(
    tmp_path: Path, snapshot: SnapshotAssertion
) -> None:
    commit_files(tmp_path, FLASK_FASTAPI, executable=("run-tests",))
    assert audit_markdown(audit_of(tmp_path, config_with("./run-tests -q"))) == snapshot


def test_audit_of_a_django_repository(tmp_path: Path, snapshot: SnapshotAssertion) -> None:
    commit_files(tmp_path, DJANGO)
    assert audit_markdown(audit_of(tmp_path, config_with(None))) == snapshot


def test_the_tests_run_at_the_base_and_leave_the_working_copy_alone(tmp_path: Path) -> None:
    base = commit_files(tmp_path, {"t.sh": "echo at the base\n"}, executable=("t.sh",))
    commit_files(tmp_path, {"t.sh": "echo later\n", "new.py": ""})
    (tmp_path / "scratch.txt").write_text("uncommitted", encoding="utf-8")
    audit = audit_of(tmp_path, config_with("./t.sh"), base=base)
    assert audit.commit == base
    assert audit.tests is not None
    assert audit.tests.result.exit_code == 0
    assert audit.tests.result.tail.strip() == "at the base"
    assert audit.files == 1
    git = open_git(tmp_path)
    assert git.dirty_files() == ["scratch.txt"]
    assert "baton-audit" not in git.run("worktree", "list")


def test_the_audit_is_kept_in_the_knowledge_base_redacted(tmp_path: Path) -> None:
    secret = "s3cret-value-for-the-audit"
    commit_files(tmp_path, {"t.sh": f"echo {secret}\n"}, executable=("t.sh",))
    config = Config.model_validate(
        {"knowledge": {"dir": "kb"}, "validation": {"test_command": "./t.sh"}}
    )
    text = write_audit(
        audit_of(tmp_path, config),
        tmp_path,
        config,
        day=date(2026, 5, 2),
        redact=Redactor([secret]),
    )
    kept = (tmp_path / "kb" / "audits" / "2026-05-02-books.md").read_text(encoding="utf-8")
    assert kept == text
    assert secret not in text
    assert "# Audit for chain `books`" in text
