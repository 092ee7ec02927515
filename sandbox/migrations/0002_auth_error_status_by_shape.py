from django.db import migrations, models


def follow_the_shape(apps, schema_editor):
    # 412 was the default for every customer, not a choice: from now on the shape decides it
    # (docs 403, live 412). A 403 was set on purpose and stays.
    Customer = apps.get_model("sandbox", "SandboxCustomer")
    Customer.objects.filter(auth_error_status=412).update(auth_error_status=None)


def back_to_the_old_default(apps, schema_editor):
    Customer = apps.get_model("sandbox", "SandboxCustomer")
    Customer.objects.filter(auth_error_status=None).update(auth_error_status=412)


class Migration(migrations.Migration):
    dependencies = [
        ("sandbox", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="sandboxcustomer",
            name="auth_error_status",
            field=models.PositiveSmallIntegerField(blank=True, default=None, null=True),
        ),
        migrations.RunPython(follow_the_shape, back_to_the_old_default),
    ]
