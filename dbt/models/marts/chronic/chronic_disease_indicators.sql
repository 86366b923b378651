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

patient_years as (

    select
        resident_key,
        condition,
        year,
        min(visit_month) as first_month
    from visits
    group by resident_key, condition, year

),

patient_months as (

    select
        patient_years.resident_key,
        patient_years.condition,
        patient_years.year,
        months.month
    from patient_years
    cross join as_of
        lateral view explode(
            sequence(
                patient_years.first_month,
                least(make_date(patient_years.year, 12, 1), trunc(as_of.as_of_date, 'month')),
                interval 1 month
            )
        ) months as month

),

year_to_date as (

    select
        patient_months.resident_key,
        patient_months.condition,
        patient_months.month,
        -- The visits carry their resident's district: one value per resident, no join of its own.
        visits.district_code,
        sum(case when visits.is_face_to_face then 1 else 0 end) as face_to_face_followups,
        sum(case when visits.fpg_mmol_l is not null then 1 else 0 end) as glucose_tests,
        max_by(
            named_struct('institution_code', visits.institution_code, 'is_controlled', visits.is_controlled),
            named_struct('on', visits.followup_date, 'key', visits.followup_key)
        ) as latest
    from patient_months
    inner join visits
        on
            patient_months.resident_key = visits.resident_key
            and patient_months.condition = visits.condition
            and patient_months.year = visits.year
            and patient_months.month >= visits.visit_month
    group by patient_months.resident_key, patient_months.condition, patient_months.month, visits.district_code

),

patient_state as (

    select
        year_to_date.month,
        year_to_date.condition,
        year_to_date.district_code,
        year_to_date.latest.institution_code,
        year_to_date.face_to_face_followups >= 4
        and (year_to_date.condition != 'diabetes' or year_to_date.glucose_tests >= 4) as is_managed_to_standard,
        coalesce(year_to_date.latest.is_controlled, false) as is_controlled
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

known_cases as (

    select
        grouped.month,
        grouped.condition,
        grouped.district_code,
        sum(known_by_first_month.patients) as known
    from grouped
    inner join known_by_first_month
        on
            grouped.district_code = known_by_first_month.district_code
            and grouped.condition = known_by_first_month.condition
            and grouped.month >= known_by_first_month.first_month
    where grouped.is_district_total
    group by grouped.month, grouped.condition, grouped.district_code

),

indicators as (

    select
        grouped.month,
        grouped.condition,
        grouped.district_code,
        grouped.institution_code,
        grouped.is_district_total,
        'management_rate' as indicator,
        '管理率' as indicator_name_zh,
        grouped.managed as numerator,
        known_cases.known as denominator
    from grouped
    inner join known_cases
        on
            grouped.month = known_cases.month
            and grouped.condition = known_cases.condition
            and grouped.district_code = known_cases.district_code
    where grouped.is_district_total

    union all

    select
        month,
        condition,
        district_code,
        institution_code,
        is_district_total,
        'standard_management_rate' as indicator,
        '规范管理率' as indicator_name_zh,
        managed_to_standard as numerator,
        managed as denominator
    from grouped

    union all

    select
        month,
        condition,
        district_code,
        institution_code,
        is_district_total,
        case condition when 'hypertension' then 'bp_control_rate' else 'glucose_control_rate' end as indicator,
        case condition when 'hypertension' then '血压控制率' else '血糖控制率' end as indicator_name_zh,
        controlled as numerator,
        managed as denominator
    from grouped

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
