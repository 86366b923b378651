{#- Temporal plausibility: rows dated before their resident's birth fail (the resident's birth date
    comes from silver; gold shows age bands only). -#}
{% test not_before_birth(model, date_column) %}

    select rows_to_check.*
    from {{ model }} as rows_to_check
    inner join {{ ref('stg_silver__residents') }} as residents
        on rows_to_check.resident_key = residents.resident_key
    where rows_to_check.{{ date_column }} < residents.birth_date

{% endtest %}
