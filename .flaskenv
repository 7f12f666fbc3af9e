# Read by the flask command in this checkout (python-dotenv): `flask <command>` finds the app.
FLASK_APP=wsgi
