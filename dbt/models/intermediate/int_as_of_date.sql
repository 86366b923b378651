{#- The date time-relative marts are computed as of: the `as_of_date` setting, or else the newest event
    date in silver, so a late delivery does not make every follow-up look overdue. One row.
    healthlake always passes the date as the `as_of_date` var (healthlake/dbt.py resolves the newest
    event date once per dbt invocation), so this is a literal: as a query, Spark evaluated it again in
    every place a mart reads it (chronic_disease_indicators scanned silver.device_readings 20 times).
    Without the var (dbt run by hand) the newest event date is computed here. -#}

-- depends_on: {{ ref('stg_silver__chronic_followups') }}
-- depends_on: {{ ref('stg_silver__device_readings') }}
-- depends_on: {{ ref('stg_silver__encounters') }}

{% if var('as_of_date') -%}

    select date '{{ var("as_of_date") }}' as as_of_date

{%- else -%}

    with

    event_dates as (

        select max(followup_date) as newest_on from {{ ref('stg_silver__chronic_followups') }}
        union all
        select max(measured_on) as newest_on from {{ ref('stg_silver__device_readings') }}
        union all
        select max(encounter_date) as newest_on from {{ ref('stg_silver__encounters') }}

    ),

    final as (

        select max(newest_on) as as_of_date
        from event_dates

    )

    select * from final

{%- endif %}
