{#- The doctor's queue of home blood-pressure alerts: one row per resident with home readings, judged on
    the 7 days up to the as-of date by the home thresholds (>= 135/85 elevated, >= 180/110 urgent),
    with the trend against the 7 days before. A reading uploaded twice (a second device sync, the
    app's copy) counts once. -#}

with

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

readings_by_resident as (

    -- Gathered by resident once: the distinct readings and the per-resident figures below then need
    -- no shuffle of their own (11.7M readings at 1M residents were shuffled twice).
    select /*+ repartition(resident_key) */
        readings.resident_key,
        readings.measured_on,
        readings.sbp_mmhg,
        readings.dbp_mmhg,
        readings.measured_at
    from {{ ref('stg_silver__device_readings') }} as readings
    cross join as_of
    where readings.measured_on <= as_of.as_of_date

),

readings as (

    select distinct
        resident_key,
        measured_on,
        sbp_mmhg,
        dbp_mmhg,
        date_trunc('minute', measured_at) as measured_minute
    from readings_by_resident

),

windowed as (

    select
        readings.*,
        as_of.as_of_date,
        readings.measured_on > date_sub(as_of.as_of_date, 7) as in_last_7_days,
        readings.measured_on > date_sub(as_of.as_of_date, 14)
        and readings.measured_on <= date_sub(as_of.as_of_date, 7) as in_previous_7_days,
        {{ home_bp_level('readings.sbp_mmhg', 'readings.dbp_mmhg') }} as reading_level
    from readings
    cross join as_of

),

per_resident as (

    select
        resident_key,
        max(as_of_date) as as_of_date,
        count(*) as readings_total,
        max(measured_minute) as latest_reading_at,
        -- The latest reading's pressures as one number (silver keeps them as whole mmHg under 1000):
        -- with a struct to aggregate, Spark sorted every reading to group them instead of hashing.
        max_by(sbp_mmhg * 1000 + dbp_mmhg, measured_minute) as latest_pair,
        sum(case when in_last_7_days then 1 else 0 end) as readings_7d,
        round(avg(case when in_last_7_days then sbp_mmhg end), 1) as mean_sbp_7d,
        round(avg(case when in_last_7_days then dbp_mmhg end), 1) as mean_dbp_7d,
        round(avg(case when in_previous_7_days then sbp_mmhg end), 1) as mean_sbp_previous_7d,
        round(avg(case when in_previous_7_days then dbp_mmhg end), 1) as mean_dbp_previous_7d,
        sum(case when in_last_7_days and reading_level in ('elevated', 'urgent') then 1 else 0 end)
            as elevated_readings_7d,
        sum(case when in_last_7_days and reading_level = 'urgent' then 1 else 0 end) as urgent_readings_7d
    from windowed
    group by resident_key

),

final as (

    select
        per_resident.resident_key,
        residents.district_code,
        per_resident.as_of_date,
        per_resident.readings_total,
        per_resident.latest_reading_at,
        cast(floor(per_resident.latest_pair / 1000) as double) as latest_sbp_mmhg,
        per_resident.latest_pair % 1000 as latest_dbp_mmhg,
        per_resident.readings_7d,
        per_resident.mean_sbp_7d,
        per_resident.mean_dbp_7d,
        per_resident.mean_sbp_previous_7d,
        per_resident.mean_dbp_previous_7d,
        per_resident.elevated_readings_7d,
        per_resident.urgent_readings_7d,
        case
            when per_resident.mean_sbp_7d is null or per_resident.mean_sbp_previous_7d is null then null
            when per_resident.mean_sbp_7d - per_resident.mean_sbp_previous_7d >= 5 then 'rising'
            when per_resident.mean_sbp_7d - per_resident.mean_sbp_previous_7d <= -5 then 'falling'
            else 'stable'
        end as sbp_trend,
        case
            when per_resident.readings_7d = 0 then 'no_recent_readings'
            when per_resident.urgent_readings_7d > 0 then 'urgent'
            when {{ home_bp_level('per_resident.mean_sbp_7d', 'per_resident.mean_dbp_7d') }} = 'elevated'
                then 'elevated'
            else 'normal'
        end as alert_status,
        case
            when per_resident.readings_7d = 0 then 'no home reading in the last 7 days'
            when per_resident.urgent_readings_7d > 0
                then concat(cast(per_resident.urgent_readings_7d as string), ' reading(s) at or above 180/110 in the last 7 days')
            when {{ home_bp_level('per_resident.mean_sbp_7d', 'per_resident.mean_dbp_7d') }} = 'elevated'
                then concat(
                    '7-day mean ', cast(per_resident.mean_sbp_7d as string), '/', cast(per_resident.mean_dbp_7d as string),
                    ' at or above 135/85'
                )
        end as alert_reason
    from per_resident
    left join {{ ref('stg_silver__residents') }} as residents
        on per_resident.resident_key = residents.resident_key

)

select * from final
