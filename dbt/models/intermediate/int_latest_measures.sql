{#- Per resident, the latest value of each measured element with its date and setting, from exam
    observations and follow-up forms. Blood pressure is a pair: its latest reading with both values
    (element 'bp', value = SBP, value_2 = DBP); BMI needs height and weight of one exam. -#}

with

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

exams as (

    select * from {{ ref('int_exams_pivoted') }}

),

followups as (

    select * from {{ ref('stg_silver__chronic_followups') }}

),

observations as (

    select
        resident_key,
        element,
        value,
        cast(null as double) as value_2,
        exam_date as measured_on,
        'exam' as setting,
        1 as setting_rank
    from {{ ref('stg_silver__observations') }}
    where element not in ('sbp_mmhg', 'dbp_mmhg')

    union all

    select
        resident_key,
        'bp' as element,
        sbp_mmhg as value,
        dbp_mmhg as value_2,
        exam_date as measured_on,
        'exam' as setting,
        1 as setting_rank
    from exams
    where sbp_mmhg is not null and dbp_mmhg is not null

    union all

    select
        resident_key,
        'bmi' as element,
        round(weight_kg / ((height_cm / 100) * (height_cm / 100)), 1) as value,
        cast(null as double) as value_2,
        exam_date as measured_on,
        'exam' as setting,
        1 as setting_rank
    from exams
    where weight_kg is not null and height_cm is not null

    union all

    select
        resident_key,
        'bp' as element,
        sbp_mmhg as value,
        dbp_mmhg as value_2,
        followup_date as measured_on,
        'followup' as setting,
        0 as setting_rank
    from followups
    where sbp_mmhg is not null and dbp_mmhg is not null

    union all

    select
        resident_key,
        'fpg_mmol_l' as element,
        fpg_mmol_l as value,
        cast(null as double) as value_2,
        followup_date as measured_on,
        'followup' as setting,
        0 as setting_rank
    from followups
    where fpg_mmol_l is not null

),

final as (

    -- On a day with both, the exam's measurement (setting_rank 1) is the more controlled one.
    select
        observations.resident_key,
        observations.element,
        max_by(observations.value, named_struct('on', observations.measured_on, 'rank', observations.setting_rank))
            as value,
        max_by(observations.value_2, named_struct('on', observations.measured_on, 'rank', observations.setting_rank))
            as value_2,
        max_by(observations.setting, named_struct('on', observations.measured_on, 'rank', observations.setting_rank))
            as setting,
        max(observations.measured_on) as measured_on
    from observations
    cross join as_of
    where observations.measured_on <= as_of.as_of_date
    group by observations.resident_key, observations.element

)

select * from final
