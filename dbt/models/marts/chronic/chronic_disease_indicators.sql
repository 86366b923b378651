{#- The specification's indicators by month, district and managing institution, each with numerator and
    denominator. Each month counts the year to date: a patient is managed when followed up at least
    once this year by the end of the month, on target when the latest of those follow-ups was
    controlled. Rows with is_district_total are the district's total; 管理率 (patients managed ÷
    patients known to the network with the condition) exists only there. -#}

with

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

visits as (

    select
        visits.*,
        year(visits.followup_date) as year,
        trunc(visits.followup_date, 'month') as visit_month
    from {{ ref('int_followup_visits') }} as visits
    cross join as_of
    where visits.followup_date <= as_of.as_of_date

),

running as (

    -- Each visit with its year's counts so far and the month of the next visit that year: one sort
    -- of the visits instead of joining every month to every earlier visit.
    select
        resident_key,
        condition,
        year,
        visit_month,
        district_code,
        institution_code,
        is_controlled,
        sum(case when is_face_to_face then 1 else 0 end) over year_so_far as face_to_face_followups,
        sum(case when fpg_mmol_l is not null then 1 else 0 end) over year_so_far as glucose_tests,
        lead(visit_month) over by_visit as next_visit_month
    from visits
    window
        by_visit as (partition by resident_key, condition, year order by followup_date, followup_key),
        year_so_far as (
            partition by resident_key, condition, year order by followup_date, followup_key
            rows between unbounded preceding and current row
        )

),

year_to_date as (

    -- A month's state is that of the year's latest visit by its end: each month's last visit
    -- stands for the months until the next visit's, or to the year's end (or the as-of month).
    select
        running.resident_key,
        running.condition,
        months.month,
        running.district_code,
        running.institution_code,
        running.is_controlled,
        running.face_to_face_followups,
        running.glucose_tests
    from running
    cross join as_of
        lateral view explode(
            sequence(
                running.visit_month,
                coalesce(
                    add_months(running.next_visit_month, -1),
                    least(make_date(running.year, 12, 1), trunc(as_of.as_of_date, 'month'))
                ),
                interval 1 month
            )
        ) months as month
    where running.next_visit_month is null or running.next_visit_month > running.visit_month

),

patient_state as (

    select
        year_to_date.month,
        year_to_date.condition,
        year_to_date.district_code,
        year_to_date.institution_code,
        year_to_date.face_to_face_followups >= 4
        and (year_to_date.condition != 'diabetes' or year_to_date.glucose_tests >= 4) as is_managed_to_standard,
        coalesce(year_to_date.is_controlled, false) as is_controlled
    from year_to_date

),

grouped as (

    select
        month,
        condition,
        district_code,
        institution_code,
        grouping(institution_code) = 1 as is_district_total,
        count(*) as managed,
        sum(case when is_managed_to_standard then 1 else 0 end) as managed_to_standard,
        sum(case when is_controlled then 1 else 0 end) as controlled
    from patient_state
    group by grouping sets ((month, condition, district_code), (month, condition, district_code, institution_code))

),

known_by_first_month as (

    select
        residents.district_code,
        conditions.condition,
        trunc(conditions.first_recorded_on, 'month') as first_month,
        count(*) as patients
    from {{ ref('int_resident_conditions') }} as conditions
    inner join {{ ref('stg_silver__residents') }} as residents
        on conditions.resident_key = residents.resident_key
    where conditions.condition in ('hypertension', 'diabetes')
    group by residents.district_code, conditions.condition, trunc(conditions.first_recorded_on, 'month')

),

with_known as (

    -- Each district total with the patients known by its month; `grouped` is read once here, as
    -- each further reading of it would build it again.
    select
        grouped.month,
        grouped.condition,
        grouped.district_code,
        grouped.institution_code,
        grouped.is_district_total,
        grouped.managed,
        grouped.managed_to_standard,
        grouped.controlled,
        sum(known_by_first_month.patients) as known
    from grouped
    left join known_by_first_month
        on
            grouped.is_district_total
            and grouped.district_code = known_by_first_month.district_code
            and grouped.condition = known_by_first_month.condition
            and grouped.month >= known_by_first_month.first_month
    group by
        grouped.month,
        grouped.condition,
        grouped.district_code,
        grouped.institution_code,
        grouped.is_district_total,
        grouped.managed,
        grouped.managed_to_standard,
        grouped.controlled

),

indicators as (

    select
        with_known.month,
        with_known.condition,
        with_known.district_code,
        with_known.institution_code,
        with_known.is_district_total,
        rates.indicator,
        rates.indicator_name_zh,
        rates.numerator,
        rates.denominator
    from with_known
        lateral view stack(
            3,
            'management_rate', '管理率', with_known.managed, with_known.known,
            'standard_management_rate', '规范管理率', with_known.managed_to_standard, with_known.managed,
            case with_known.condition when 'hypertension' then 'bp_control_rate' else 'glucose_control_rate' end,
            case with_known.condition when 'hypertension' then '血压控制率' else '血糖控制率' end,
            with_known.controlled, with_known.managed
        ) rates as indicator, indicator_name_zh, numerator, denominator
    -- 管理率 only for district totals, and only where the district has known patients.
    where rates.indicator != 'management_rate' or with_known.known is not null

),

final as (

    select
        month,
        condition,
        district_code,
        institution_code,
        is_district_total,
        indicator,
        indicator_name_zh,
        numerator,
        denominator,
        round(numerator / denominator, 4) as rate
    from indicators

)

select * from final
