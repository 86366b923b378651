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

exam_measures as (

    -- Blood pressure and BMI from one pass over the exams: as two selects, Spark pivoted every exam
    -- observation twice.
    select
        exams.resident_key,
        exams.exam_date,
        measure.element,
        measure.value,
        measure.value_2
    from exams
        lateral view explode(filter(array(
            case
                when exams.sbp_mmhg is not null and exams.dbp_mmhg is not null
                    then named_struct('element', 'bp', 'value', exams.sbp_mmhg, 'value_2', exams.dbp_mmhg)
            end,
            case
                when exams.weight_kg is not null and exams.height_cm is not null
                    then named_struct(
                        'element', 'bmi',
                        'value', round(exams.weight_kg / ((exams.height_cm / 100) * (exams.height_cm / 100)), 1),
                        'value_2', cast(null as double)
                    )
            end
        ), m -> m is not null)) measures as measure

),

observations as (

    select
        resident_key,
        element,
        value,
        cast(null as double) as value_2,
        exam_date as measured_on,
        1 as setting_rank
    from {{ ref('stg_silver__observations') }}
    where element not in ('sbp_mmhg', 'dbp_mmhg')

    union all

    select
        resident_key,
        element,
        value,
        value_2,
        exam_date as measured_on,
        1 as setting_rank
    from exam_measures

    union all

    select
        resident_key,
        'bp' as element,
        sbp_mmhg as value,
        dbp_mmhg as value_2,
        followup_date as measured_on,
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
        0 as setting_rank
    from followups
    where fpg_mmol_l is not null

),

ranked as (

    -- How recent a value is, as one number: its date, then on a day with both the exam's
    -- measurement (setting_rank 1), the more controlled one. A number, not a struct, so that Spark
    -- aggregates by hashing: a struct or string to order by made it sort millions of rows.
    select
        observations.*,
        unix_date(observations.measured_on) * 2 + observations.setting_rank as recency
    from observations
    cross join as_of
    where observations.measured_on <= as_of.as_of_date

),

latest as (

    select
        resident_key,
        element,
        max_by(value, recency) as value,
        max_by(value_2, recency) as value_2,
        max(recency) as recency
    from ranked
    group by resident_key, element

),

final as (

    select
        resident_key,
        element,
        value,
        value_2,
        case when pmod(recency, 2) = 1 then 'exam' else 'followup' end as setting,
        date_from_unix_date(cast(floor(recency / 2) as int)) as measured_on
    from latest

)

select * from final
