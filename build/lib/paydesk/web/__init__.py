"""Web plumbing shared by portal and back office: middleware, context, template tags."""
