{#- One row per hypertension or diabetes follow-up with the specification's judgements: controlled,
    urgent referral, face to face, and the streak of consecutive uncontrolled visits ending there. -#}

with

followups as (

    select * from {{ ref('stg_silver__chronic_followups') }}

),

residents as (

    select * from {{ ref('stg_silver__residents') }}

),

judged as (

    select
        followups.*,
        residents.district_code,
        residents.sex_code,
        {{ age_years('residents.birth_date', 'followups.followup_date') }} as age_at_visit,
        case followups.condition
            when 'hypertension' then {{ hypertension_controlled(
                'followups.sbp_mmhg', 'followups.dbp_mmhg',
                age_years('residents.birth_date', 'followups.followup_date')) }}
            when 'diabetes' then {{ diabetes_controlled('followups.fpg_mmol_l') }}
        end as is_controlled,
        {{ needs_urgent_referral('followups.condition', 'followups.sbp_mmhg', 'followups.dbp_mmhg',
                                 'followups.fpg_mmol_l') }} as needs_urgent_referral,
        coalesce(followups.method_code in ('1', '2'), false) as is_face_to_face,
        coalesce(followups.adverse_reaction_code = '2' or followups.result_code = '3', false) as had_adverse_reaction
    from followups
    left join residents on followups.resident_key = residents.resident_key

),

running as (

    select
        *,
        sum(case when is_controlled = false then 1 else 0 end) over (
            partition by resident_key, condition order by followup_date, followup_key
            rows between unbounded preceding and current row
        ) as uncontrolled_so_far
    from judged

),

final as (

    select
        *,
        -- Uncontrolled visits since the last controlled one; a visit without readings neither
        -- breaks nor extends the streak.
        uncontrolled_so_far - coalesce(max(case when is_controlled then uncontrolled_so_far end) over (
            partition by resident_key, condition order by followup_date, followup_key
            rows between unbounded preceding and current row
        ), 0) as consecutive_uncontrolled
    from running

)

select * from final  -- noqa: AM04
