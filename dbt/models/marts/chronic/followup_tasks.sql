{#- Who is due or overdue for a hypertension or diabetes follow-up, and why: one row per managed patient
    and condition, from their latest follow-up up to the as-of date. After an urgent referral, an
    uncontrolled visit or an adverse reaction the next visit is due within 2 weeks; otherwise one a
    quarter, by the end of the quarter after the latest visit. -#}

with

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

visits as (

    select visits.*
    from {{ ref('int_followup_visits') }} as visits
    cross join as_of
    where visits.followup_date <= as_of.as_of_date

),

latest as (

    select
        resident_key,
        condition,
        -- The visits carry their resident's district: one value per resident, no join of its own.
        district_code,
        max_by(
            named_struct(
                'followup_date', followup_date,
                'institution_code', institution_code,
                'is_controlled', is_controlled,
                'needs_urgent_referral', needs_urgent_referral,
                'referral_recorded', referral_recorded,
                'had_adverse_reaction', had_adverse_reaction,
                'consecutive_uncontrolled', consecutive_uncontrolled
            ),
            named_struct('on', followup_date, 'key', followup_key)
        ) as visit
    from visits
    group by resident_key, condition, district_code

),

reasoned as (

    select
        latest.resident_key,
        latest.condition,
        latest.district_code,
        visit.followup_date as latest_followup_date,
        visit.institution_code,
        case
            when visit.needs_urgent_referral or visit.referral_recorded or visit.consecutive_uncontrolled >= 2
                then 'after_referral'
            when visit.is_controlled = false then 'revisit_uncontrolled'
            when visit.had_adverse_reaction then 'revisit_adverse_reaction'
            else 'quarterly_visit'
        end as reason
    from latest

),

scheduled as (

    select
        *,
        case
            when reason = 'quarterly_visit' then {{ quarterly_due_date('latest_followup_date') }}
            else date_add(latest_followup_date, 14)
        end as due_date
    from reasoned

),

final as (

    select
        scheduled.resident_key,
        scheduled.condition,
        scheduled.district_code,
        scheduled.institution_code,
        scheduled.latest_followup_date,
        scheduled.reason,
        scheduled.due_date,
        as_of.as_of_date,
        case
            when as_of.as_of_date > scheduled.due_date then 'overdue'
            -- A 2-week revisit is due at once; a quarterly visit once its quarter has begun.
            when scheduled.reason != 'quarterly_visit' then 'due'
            when as_of.as_of_date >= trunc(scheduled.due_date, 'quarter') then 'due'
            else 'scheduled'
        end as task_status,
        greatest(datediff(as_of.as_of_date, scheduled.due_date), 0) as days_overdue
    from scheduled
    cross join as_of

)

select * from final
