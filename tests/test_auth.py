from tests import factories as f
from workflow import create_app
from workflow.domain import Role
from workflow.extensions import db


def test_login_and_logout(client, auth, app):
    user = f.user(Role.SECRETARIAT)
    db.session.commit()
    response = auth.login(user)
    assert response.headers["Location"].endswith("/")
    assert client.get("/").status_code == 200
    auth.logout()
    assert client.get("/account/profile").status_code == 302
    assert 'action="/auth/login"' in client.get("/").get_data(as_text=True)  # the start page


def test_wrong_password_says_so_without_saying_which(client, app):
    user = f.user(Role.SECRETARIAT)
    db.session.commit()
    wrong = client.post("/auth/login", data={"email": user.email, "password": "nope"})
    unknown = client.post("/auth/login", data={"email": "nobody@test.kz", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 200
    assert b"is not right" in wrong.data and b"is not right" in unknown.data


def test_inactive_user_cannot_log_in(client, app):
    user = f.user(Role.SECRETARIAT, active=False)
    db.session.commit()
    response = client.post("/auth/login", data={"email": user.email, "password": f.PASSWORD})
    assert response.status_code == 200


def test_open_redirect_is_refused(client, app):
    user = f.user(Role.SECRETARIAT)
    db.session.commit()
    response = client.post("/auth/login?next=//evil.example/x",
                           data={"email": user.email, "password": f.PASSWORD})
    assert response.headers["Location"] == "/"


def test_password_is_hashed_with_argon2(app):
    user = f.user(Role.SECRETARIAT)
    assert user.password_hash.startswith("$argon2id$")


def test_csrf_is_enforced_on_forms(_app):
    app = create_app({"TIZIM_CONFIG": "testing", "WTF_CSRF_ENABLED": True,
                      "SQLALCHEMY_DATABASE_URI": _app.config["SQLALCHEMY_DATABASE_URI"]})
    client = app.test_client()
    response = client.post("/auth/login", data={"email": "a@b.kz", "password": "x"})
    assert response.status_code == 400
    response = client.post("/language", data={"lang": "ru"})
    assert response.status_code == 400


def test_changing_the_password_ends_other_sessions(client, auth, app):
    from workflow.auth.services import set_password

    user = f.user(Role.SECRETARIAT)
    db.session.commit()
    auth.login(user)
    set_password(user, "a-new-password-1")
    db.session.commit()
    assert client.get("/account/profile").status_code == 302


def test_users_create_command(runner, app):
    result = runner.invoke(args=["users", "create", "--email", "c@test.kz", "--name", "C",
                                 "--role", "coordinator", "--region", "KZ-75",
                                 "--password", "seven-lakes-of-kolsai"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["users", "create", "--email", "d@test.kz", "--name", "D",
                                 "--role", "coordinator", "--password", "seven-lakes-of-kolsai"])
    assert result.exit_code != 0
    assert "needs a region" in result.output


def test_language_switch_sets_cookie_and_user_setting(client, auth, app):
    user = f.user(Role.SECRETARIAT)
    db.session.commit()
    auth.login(user)
    response = client.post("/language", data={"lang": "ru", "next": "/nominations/"})
    assert response.headers["Location"] == "/nominations/"
    assert "lang=ru" in response.headers["Set-Cookie"]
    db.session.refresh(user)
    assert user.language == "ru"
