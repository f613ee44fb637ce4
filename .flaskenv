# Read by the `flask` command in a checkout (python-dotenv). Production servers
# (gunicorn) never read this file; set the environment there instead.
FLASK_APP=app
FLASK_DEBUG=1
