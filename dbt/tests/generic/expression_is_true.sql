{#- Rows where `expression` is false fail the test (null counts as passing: not_null says otherwise). -#}
{% test expression_is_true(model, expression, column_name=none) %}

    select *
    from {{ model }}
    where not ({{ expression }})

{% endtest %}
