{#- The date time-relative marts are computed as of: the `as_of_date` setting, or else the newest event
    date in silver, so a late delivery does not make every follow-up look overdue. One row. -#}

with

event_dates as (

    select max(followup_date) as newest_on from {{ ref('stg_silver__chronic_followups') }}
    union all
    select max(measured_on) as newest_on from {{ ref('stg_silver__device_readings') }}
    union all
    select max(encounter_date) as newest_on from {{ ref('stg_silver__encounters') }}

),

final as (

    select
    {% if var('as_of_date') -%}
            -- The setting wins; the newest event date is still computed, so lineage stays the same.
            coalesce(date '{{ var("as_of_date") }}', max(newest_on)) as as_of_date
    {%- else -%}
            max(newest_on) as as_of_date
    {%- endif %}
    from event_dates

)

select * from final
