"""A bare Flask "hello" endpoint: the yardstick for a page that reads one nomination."""

from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello():
    return "hello"
