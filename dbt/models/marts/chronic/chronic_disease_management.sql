{#- Hypertension and type 2 diabetes management per patient and year (国家基本公共卫生服务规范 3rd ed.):
    follow-ups, managed to standard, control at the latest follow-up, consecutive uncontrolled visits,
    referral flags. A patient is managed in a year when they had at least one follow-up in it. -#}

with

visits as (

    select
        *,
        year(followup_date) as year
    from {{ ref('int_followup_visits') }}

),

yearly as (

    select
        resident_key,
        condition,
        year,
        -- The resident's, carried by every visit: grouping by them spares a second join with residents.
        district_code,
        sex_code,
        count(*) as followups,
        sum(case when is_face_to_face then 1 else 0 end) as face_to_face_followups,
        sum(case when fpg_mmol_l is not null then 1 else 0 end) as glucose_tests,
        min(followup_date) as first_followup_date,
        max(followup_date) as latest_followup_date,
        max_by(
            named_struct(
                'institution_code', institution_code,
                'sbp_mmhg', sbp_mmhg,
                'dbp_mmhg', dbp_mmhg,
                'fpg_mmol_l', fpg_mmol_l,
                'age_at_visit', age_at_visit,
                'is_controlled', is_controlled,
                'needs_urgent_referral', needs_urgent_referral,
                'consecutive_uncontrolled', consecutive_uncontrolled
            ),
            named_struct('on', followup_date, 'key', followup_key)
        ) as latest,
        max(referral_recorded) as referral_recorded
    from visits
    group by resident_key, condition, year, district_code, sex_code

),

final as (

    select
        yearly.resident_key,
        yearly.condition,
        yearly.year,
        yearly.district_code,
        yearly.latest.institution_code,
        yearly.sex_code,
        {{ age_band('yearly.latest.age_at_visit') }} as age_band,
        yearly.followups,
        yearly.face_to_face_followups,
        yearly.glucose_tests,
        yearly.face_to_face_followups >= 4
        and (yearly.condition != 'diabetes' or yearly.glucose_tests >= 4) as is_managed_to_standard,
        yearly.first_followup_date,
        yearly.latest_followup_date,
        yearly.latest.sbp_mmhg as latest_sbp_mmhg,
        yearly.latest.dbp_mmhg as latest_dbp_mmhg,
        yearly.latest.fpg_mmol_l as latest_fpg_mmol_l,
        yearly.latest.is_controlled as is_controlled_at_latest,
        case
            when yearly.latest.is_controlled then 'controlled'
            when not yearly.latest.is_controlled then 'uncontrolled'
            else 'not_measured'
        end as control_status,
        yearly.latest.consecutive_uncontrolled,
        yearly.latest.needs_urgent_referral,
        yearly.latest.consecutive_uncontrolled >= 2 as needs_referral_uncontrolled,
        yearly.referral_recorded
    from yearly

)

select * from final
