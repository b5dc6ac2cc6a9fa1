"""Entry point: `flask --app app …` and WSGI servers use `create_app()`."""

from admints import create_app

__all__ = ["create_app"]

if __name__ == "__main__":
    create_app().run()
