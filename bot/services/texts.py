"""Every text an athlete reads, in plain and friendly English.

Kept in one place so wording can be reviewed (and later translated) without touching logic.
Texts are plain (no Markdown/HTML parse mode), so athlete input echoed back cannot break them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.services.timezones import emergency_number
from bot.support.formats import format_short_date
from bot.support.i18n import L_, LANGUAGE_NAMES, ngettext
from bot.wording.plan import plan_lines
from bot.wording.protocol import protocol_text
from bot.wording.reasons import (
    Worded,
    full_reasons,
    gate_item_words,
    plain,
    today_reasons,
    word_reasons,
)
from bot.wording.stages import stage_label, stage_position

# --- /baseline after the programme has started ------------------------------------------------

# A value typed again as it was: no change, nobody told.
BASELINE_SAME = L_("Nothing was changed: those are already your pre-injury bests.")
# A /baseline entry refused whole (nothing stored); each problem follows as a "• " line.
BASELINE_REFUSED = L_("Nothing was changed:")
BASELINE_TRY_AGAIN = L_(
    "Send /baseline again with the values after it, e.g. /baseline 10m 1.78 30m 4.05"
)
# Only when a clinician was sent the change card.
BASELINE_CLINICIAN_TOLD = L_("Your clinician has been told about this change.")
# The clinician's card; one line per value follows ("• Vmax: 9 m/s → 8.8 m/s").
CLINICIAN_BASELINE_CHANGED = L_("✏️ {athlete} changed their pre-injury bests:")
CLINICIAN_BASELINE_EASIER_SPEED = L_(
    "⚠️ A lower Vmax or slower splits make the speed criteria easier to meet."
)
# Why a pre-injury best is refused (metrics_parser.baseline_problems), in the parser's
# "{label} {value} {unit} looks wrong ({why}): {expected}." sentence.
BEST_TOO_SLOW_SPEED = L_("slower than a jog: a pre-injury best is your fastest sprint")
BEST_TOO_SLOW_SPLIT = L_(
    "too slow for a pre-injury best: check it is your fastest time, in seconds"
)
# A split typed now that contradicts one already saved (metrics_parser.cross_checks).
SPLIT_TYPED_BEFORE_SAVED = L_(
    "The {d1} m split you typed ({t1} s) should be shorter than your saved {d2} m split "
    "({t2} s). If that one is wrong too, type both."
)
SPLIT_TYPED_AFTER_SAVED = L_(
    "The {d2} m split you typed ({t2} s) should be longer than your saved {d1} m split "
    "({t1} s). If that one is wrong too, type both."
)

# --- Onboarding -------------------------------------------------------------------------------

WELCOME = L_(
    "Hi, I'm Sprintback 👋\n\n"
    "I help you get back to full-speed sprinting after a hamstring or calf strain, step by step.\n"
    "Each morning I ask a few quick questions (under a minute), tell you whether to train, and "
    "give you today's session with target times. After training you tell me how it went.\n\n"
    "What I am not: I support your clinician, I do not replace them. I am not a medical device "
    "and I never diagnose. If something feels wrong, I stop your training and tell your "
    "clinician."
)
WELCOME_WITH_CLINICIAN = L_(
    "You joined through {clinician}'s link: if you agree to share your answers with them (I "
    "will ask you), they will follow your progress."
)
WELCOME_WITH_YOUR_CLINICIAN = L_(
    "You joined through your clinician's link: if you agree to share your answers with them (I "
    "will ask you), they will follow your progress."
)
INVITE_UNKNOWN = L_(
    "That invitation code is not valid (or has expired). You can carry on without it; your "
    "clinician can send you a new link later."
)
ALREADY_ONBOARDED = L_(
    "You are already set up. /plan shows today's session and /help lists everything."
)
LINKED_TO_CLINICIAN = L_(
    "You are now linked with {clinician}. They will see your check-ins and reports."
)
LINKED_TO_YOUR_CLINICIAN = L_(
    "You are now linked with your clinician. They will see your check-ins and reports."
)

CONSENT_STORE = L_(
    "First, your consent.\n\n"
    "To coach you I need to store health data: your injury, daily pain and wellbeing answers and "
    "your training results. Only you, your clinician and the service admins can see it. "
    "You can export it (/export) or delete it for good (/delete) at any time.\n\n"
    "Do you agree that Sprintback stores this health data?"
)
CONSENT_STORE_NO_CLINICIAN = L_(
    "First, your consent.\n\n"
    "To coach you I need to store health data: your injury, daily pain and wellbeing answers and "
    "your training results. Only you and the service admins can see it. "
    "You can export it (/export) or delete it for good (/delete) at any time.\n\n"
    "Do you agree that Sprintback stores this health data?"
)
CONSENT_SHARE = L_(
    "Do you agree that the clinician who invited you sees your answers and results, and is "
    "alerted at once if a warning sign comes up?"
)
CONSENT_DECLINED = L_(
    "No problem. Without this consent I cannot coach you, so I have not stored anything. "
    "If you change your mind, send /start again."
)
CONSENT_DECLINED_INVITED = L_(
    "No problem. Without both consents I cannot coach you, so I have not stored anything. "
    "Your clinician's invitation is still valid: if you change your mind, send "
    "/start {code} (or tap their link again)."
)
ASK_INJURY = L_("Which muscle group is injured?")
ASK_MUSCLE = L_("Which muscle, if you know it (from your clinician or a scan)?")
ASK_SIDE = L_("Which side?")
ASK_GRADE = L_("Which grade did your clinician give it, if any?")
ASK_INJURY_DATE = L_(
    "When did it happen? Tap a button or type the date (e.g. 2026-03-01 or 1.3.2026)."
)
# TRANSLATORS: {date} is the injury date the athlete typed, {today} their own today, both
# written out ("2 March 2026"); asked once their time zone is known.
ASK_INJURY_DATE_AGAIN = L_(
    "You typed {date}, but where you are it is only {today}, so that day has not come yet. "
    "When did the injury happen? Tap a button or type the date."
)
ASK_MECHANISM = L_("How did it happen?")
ASK_SPORT = L_("What is your sport? Tap one or type it.")
ASK_BASELINE = L_(
    "Your best values from before the injury let me set target times.\n"
    "Type them in one line, e.g. 'speed 9.1 10m 1.78 20m 3.0 30m 4.05 40m 5.15': top speed "
    "(your fastest over a flying 10–20 m) in m/s or km/h, sprint times from a standing start "
    "in seconds. Give each one you have, or skip: /baseline sets them later."
)
ASK_TZ_REGION = L_(
    "Which time zone are you in? Pick a region, type a city or a zone name (e.g. "
    "Europe/Berlin), or share your location with the 📎 button."
)
ASK_TZ_CITY = L_("Pick the city closest to you (same time zone).")
ASK_CHECKIN_TIME = L_(
    "At what time should I send the morning check-in? Tap a time or type one (e.g. 7:15)."
)
SUMMARY_TITLE = L_("Please check your details:")
SUMMARY_CONFIRM = L_("Is this right?")
ONBOARDING_DONE = L_(
    "All set ✅\n\n"
    "Your programme starts today at {stage_title}. I'll send the first "
    "morning check-in tomorrow at {time}, {zone} time, and every morning after that. You can "
    "also start it any time with /checkin.\n"
    "{gate}\n\nSee /help for everything I can do."
)
GATE_WAITING = L_(
    "Your clinician needs to confirm the diagnosis before you move on from this first stage."
)
GATE_NO_CLINICIAN = L_(
    "Your clinician needs to confirm the diagnosis before you move on from this first stage. "
    "Ask them for a Sprintback invitation link to connect."
)
LOCATION_FOUND = L_("From your location I picked {city}.")
ONBOARDING_RESTARTED = L_("Let's go through your details again.")

# --- Morning check-in -------------------------------------------------------------------------

ASK_RED_FLAGS = L_(
    "Good morning! Since yesterday, have you had any of these? Tap all that apply, then Done. "
    "If none, tap 'None of these'."
)
# Above the morning's warning-sign question after a sign reported with /problem since the
# last check-in ({signs}: the signs' names, "New swelling at the injury"); they are pre-ticked.
# Worded by ``bot.services.questionnaires.morning`` with ngettext: one sign or several.
# "None of these" after such a report is not taken as the truth without asking; the two
# answers read right for one sign and for several.
SIGNS_GONE = L_("Yes, all gone")
SIGNS_STILL = L_("No, still there")
RED_FLAG_LABELS = {
    "swelling": L_("New swelling at the injury"),
    "bruising": L_("New bruising"),
    "numbness": L_("Numbness, tingling or weakness in leg/foot"),
    "night_pain": L_("Pain woke me at night"),
    "calf_warm_red": L_("Calf warm, red or swollen"),
    "chest_breathless": L_("Chest pain or breathlessness"),
    "unwell": L_("Fever or feeling unwell"),
    "pop": L_("Felt a pop or sudden sharp pain"),
}
NONE_OF_THESE = L_("None of these ✅")
BACK = L_("◀ Back")
RETYPE_ECHO = L_("✗ Not saved: type the numbers again.")
ASSUMED_BACK = L_("I have read it that way; if it is wrong, tap ◀ Back.")
START_OVER = L_("↺ Start over")
RESUMED_ANSWERS = L_("I kept the answers you gave before you stopped, so we carry on from here.")
NONE_BUT_TICKED = L_(
    "You ticked: {ticked}. If that was a mistake, untick it first; if not, tap Done so your "
    "clinician hears about it."
)
DONE = L_("Done")
ASK_PAIN_REST = L_("Pain in the injured spot right now, at rest? (0 = none, 10 = worst imaginable)")
PROVOCATION_HAMSTRING = L_("10 brisk walking steps, then 5 single-leg bridges on the injured side")
PROVOCATION_HAMSTRING_LATE = L_(
    "10 brisk walking steps, 5 single-leg bridges on the injured side, then 5 gentle leg swings"
)
PROVOCATION_CALF = L_(
    "10 double-leg heel raises, then 10 single-leg heel raises on the injured side"
)
PROVOCATION_CALF_LATE = L_(
    "10 double-leg heel raises, 10 single-leg heel raises on the injured side, "
    "then 10 double-leg pogo hops"
)
ASK_PAIN_TEST = L_(
    "Today's test: {test}.\nDo it now, gently. Worst pain in the injured spot during the test? "
    "(0 = none, 10 = worst imaginable)"
)
# Every 0–10 symptom question names its anchors: confidence (10 = good) sits between them,
# and a tired athlete must not read one scale the wrong way round.
ASK_TIGHTNESS_HAMSTRING = L_(
    "Tightness or stiffness of the injured muscle right now? (0 = none, 10 = worst imaginable)"
)
ASK_TIGHTNESS_CALF = L_(
    "Tightness, stiffness or cramping of the injured calf right now? "
    "(0 = none, 10 = worst imaginable)"
)
ASK_CONFIDENCE = L_(
    "How confident are you in the injured leg for today's session? (0 = not at all, 10 = fully)"
)
ASK_SLEEP_QUALITY = L_(
    "Sleep quality last night? (a 1–7 scale: 1 = very, very good, 7 = very, very bad)"
)
ASK_FATIGUE = L_("How tired are you? (1–7: 1 = very, very low, 7 = very, very high)")
ASK_STRESS = L_("How stressed are you? (1–7: 1 = very, very low, 7 = very, very high)")
ASK_SORENESS = L_(
    "General muscle soreness, whole body, not the injury? (1–7: 1 = very, very low, "
    "7 = very, very high)"
)
HOOPER_LOW_GOOD = L_("very, very good")
HOOPER_HIGH_BAD = L_("very, very bad")
HOOPER_LOW = L_("very, very low")
HOOPER_HIGH = L_("very, very high")
ASK_SLEEP_HOURS = L_("How many hours did you sleep? Tap or type (e.g. 7.5).")

CHECKIN_ALREADY_DONE = L_("You already checked in today. /plan shows today's session.")
NOT_ONBOARDED = L_("Let's set you up first: send /start.")
# Anything but /delete from someone whose admin access was removed (ADMIN_TELEGRAM_IDS).
FORMER_ADMIN = L_(
    "Your admin rights on Sprintback have ended, so I can no longer do anything for you "
    "here. Send /delete to remove your name and settings from Sprintback, or ask the person "
    "who runs Sprintback to add you again."
)
# Their /delete, done at once (they have nothing here left to lose).
FORMER_ADMIN_DELETED = L_(
    "Done: your name, settings and the link to your Telegram account are removed from "
    "Sprintback. What you did as an admin stays in the records under a number, without your "
    "name."
)
# A command that needs the set-up, sent in the middle of it: the open question follows.
FINISH_SETUP_FIRST = L_("That works once you are set up. Let's finish that first:")
PAUSED_NOTE = L_("Your programme is paused. Send /resume when you are ready to continue.")


# True whether or not the deployment has admins (who get such alerts, but are no clinician).
NO_CLINICIAN_LINKED = L_(
    "Note: no clinician is linked to you in Sprintback, so no clinician has been alerted. "
    "Please contact your own clinician or doctor yourself today."
)

# --- Session ----------------------------------------------------------------------------------

ASK_COMPLETION = L_("How did today's session go? Did you complete it?")
# The post-session prompt on a day without a morning check-in (no training was prescribed):
# it asks whether they trained anyway, so a session done all the same is still reported.
ASK_COMPLETION_NO_CHECKIN = L_(
    "No check-in today, so no training was planned. Did you train anyway? If so, how much "
    "of your session did you do? If not, there is nothing to answer."
)
COMPLETION_LABELS = {
    "full": L_("All of it"),
    "partial": L_("Part of it"),
    "stopped": L_("Stopped early"),
}
ASK_COMPLETED_PCT = L_("Roughly what share of the planned reps did you do?")
ASK_STOP_REASON = L_("What made you stop or cut it short?")
STOP_REASON_LABELS = {
    "pain": L_("Pain"),
    "tightness": L_("Tightness"),
    "fatigue": L_("Fatigue"),
    "fear": L_("Worry / fear"),
    "weather_time": L_("Weather or time"),
    "other": L_("Something else"),
}
ASK_PAIN_MAX = L_(
    "Worst pain in the injured area during the session? (0 = none, 10 = worst imaginable)"
)
ASK_PAIN_LOCATION = L_("Where was the pain?")
PAIN_LOCATION_LABELS = {
    "injured_spot": L_("The injured spot"),
    "same_muscle": L_("Same muscle, other spot"),
    "other_leg": L_("The other leg"),
    "back_buttock": L_("Low back / buttock"),
    "other": L_("Somewhere else"),
}
ASK_SHARP_PAIN = L_(
    "Was any pain sharp, stabbing or sudden, or did you feel a 'pop' or a sudden tight pull "
    "in the muscle?"
)
ASK_SESSION_RED_FLAGS = L_(
    "Since the session started, have you noticed any of these? Tap all that apply, then Done. "
    "If none, tap 'None of these'."
)
SESSION_RED_FLAG_LABELS = {
    "swelling": L_("New swelling at the injury"),
    "bruising": L_("New bruising"),
    "pop": L_("Felt a pop"),
    "numbness": L_("Numbness, tingling or weakness in leg/foot"),
}
ASK_SESSION_TIGHTNESS = L_(
    "Tightness in the injured muscle now, after the session? (0 = none, 10 = worst imaginable)"
)
ASK_HELD_BACK = L_("Did you hold back, or change your stride, because of pain or worry?")
ASK_SESSION_CONFIDENCE = L_(
    "Confidence in the injured leg during your fastest runs? (0 = not at all, 10 = fully)"
)
ASK_SESSION_CONFIDENCE_NO_RUNNING = L_(
    "Confidence in the injured leg during the session? (0 = not at all, 10 = fully)"
)
ASK_RPE = L_("How hard was the whole session? (0 = rest, 10 = maximal)")
ASK_MINUTES = L_("How many minutes did the session last? Tap or type.")
ASK_PAIN_1H = L_(
    "Pain in the injured spot about an hour after the session? "
    "(0 = none, 10 = worst imaginable)\nIf it is not an hour yet, tap 'Skip'."
)
# The follow-up asked about an hour after a session report whose pain an hour after was skipped
# (bot.services.athlete.followup): one tap, 0–10.
ASK_FOLLOWUP_PAIN_1H = L_(
    "About an hour has passed since your session. Pain in the injured spot right now? "
    "(0 = no pain, 10 = worst pain imaginable)"
)
# Said under the session's result when that follow-up is planned.
FOLLOWUP_PLANNED = L_("⏰ I'll ask about the pain again in about an hour.")
# The follow-up's answer changed nothing in the day's plan.
FOLLOWUP_NOTED = L_("Thanks, saved. No change to your plan.")
ASK_METRICS = L_(
    "Any numbers from today? Type them in one line, e.g.\n"
    "10m 1.82 30m 4.11 speed 8.7 hop 92\n"
    "(sprint times in s, top speed in m/s or km/h, hop as % of the other leg). "
    "Or tap 'Step by step' or 'No numbers today'."
)
STEP_BY_STEP = L_("Step by step")
NO_NUMBERS = L_("No numbers today")
ASK_METRIC_STEP = L_("{label} ({unit})? Type the number, or skip.")
SKIP = L_("Skip")
FINISH_METRICS = L_("That's all")
ASK_METRICS_CONFIRM = L_("I understood:\n{echo}\n\nIs that right?")
YES_SAVE = L_("Yes, save")
NO_RETYPE = L_("No, type again")
# Asked after the session about the stage's checks. A check that is part of the day's plan (the
# walk, the bike, the heel raises) is asked about as the plan prescribed it, or about "today",
# never as a different session ("a 20–30 min brisk walk" after a plan of 10–20 min walking).
CHECK_PROMPTS = {
    "walk_pain": L_("Worst pain while walking today? (0 = none, 10 = worst imaginable)"),
    "limp": L_("Did you limp when walking?"),
    "single_leg_squat_pain": L_(
        "Worst pain during a single-leg squat to 45° on the injured side? "
        "(0 = none, 10 = worst imaginable)"
    ),
    # The stage's test is 5 min at 150 W (reference §2.2 H1 exit (b)): a ride easier than that
    # does not count for it, so the athlete answers "Not done" then.
    "bike_pain": L_(
        "Worst pain on the bike today? (0 = none, 10 = worst imaginable)\n"
        "To count towards moving up it needs 5 min at 150 W or more: if you rode easier, "
        "tap 'Not done'."
    ),
    "knee_extension_full": L_("Can you fully straighten the knee lying on your back (active)?"),
    "aket_pain": L_(
        "Discomfort during the active knee extension test? (0 = none, 10 = worst imaginable)"
    ),
    # The stage's test is 3 × 15 (reference §3.3 C1 exit (b)), the top of the plan's 3 × 10–15:
    # no warning sign is read from this answer, so a lighter set is answered "Not done".
    "double_heel_raise_pain": L_(
        "Worst pain during 3 × 15 double-leg heel raises? (0 = none, 10 = worst imaginable)\n"
        "If you did fewer, tap 'Not done'."
    ),
    "jump_pain": L_(
        "Worst pain during double-leg jumps / pogos? (0 = none, 10 = worst imaginable)"
    ),
    "hop_pain": L_(
        "Worst pain hopping on the injured leg, in place and in a line? "
        "(0 = none, 10 = worst imaginable)"
    ),
    "palpation_pain": L_(
        "Tenderness when you press on the injured spot? (0 = none, 10 = worst imaginable)"
    ),
    "cod_pain": L_(
        "Worst pain during change of direction at today's speed? (0 = none, 10 = worst imaginable)"
    ),
    "full_training": L_("Was this a full, unrestricted team or event training?"),
    "slr_lsi_pct": L_("Straight-leg raise range, injured as % of the other side? Type e.g. 85."),
    "aket_lsi_pct": L_(
        "Active knee extension range, injured as % of the other side? Type e.g. 85."
    ),
    "dorsiflexion_asym_pct": L_("Knee-to-wall difference between legs, in %? Type e.g. 5."),
}
NOT_DONE = L_("Not done")
# Added to the walking question at the stage whose exit names the walk's dose (hamstring H1
# exit (d)). Any walk's pain is still asked for: walking pain ≥ 3 steps the athlete back.
WALK_TEST_NOTE = L_("To move up, this stage needs a 20–30 min brisk walk at 0–1/10.")
# Any hour, so no "tomorrow": at 07:35 the day's check-in may be on the screen still.
NO_SESSION_PLANNED = L_(
    "I have no check-in from you today yet. You can still report the session. Check in "
    "before you train (/checkin): it decides what training is safe that day."
)
# /done while running is stopped until a clinician's review (a warning sign not yet reviewed).
DONE_WHILE_STOPPED = L_(
    "⛔ Still no running until your clinician has reviewed you. You can still report what you "
    "did: your clinician sees it."
)
SESSION_ALREADY_REPORTED = L_(
    "You already reported today's session. /status shows where you stand."
)

YES = L_("Yes")
NO = L_("No")

# --- Generic corrections ----------------------------------------------------------------------

USE_BUTTONS = L_("Please answer with one of the buttons below.")
PICK_NUMBER = L_("Please tap a number from {low} to {high} (or type one).")
NUMBER_RANGE = L_("{label} must be between {low} and {high}{unit} — you typed {value}.")
NUMBER_EXPECTED = L_("Please type a number for {label}, e.g. {example}.")
WHOLE_NUMBER = L_("{label} must be a whole number — you typed {value}.")
DATE_EXPECTED = L_("Please type a date like 2026-03-01 or 1.3.2026, or tap a button.")
DATE_IN_FUTURE = L_("That date is in the future. When did the injury happen?")
DATE_TOO_OLD = L_("That is more than a year ago. Please check the date (e.g. 2026-03-01).")
# TRANSLATORS: {date} is exactly what the athlete typed ("31/02"), a day that does not exist;
# the example is 1 March 2026, written the way dates are in your language ("1/3/2026").
DATE_DOES_NOT_EXIST = L_("There is no {date}. Please check the day and month (e.g. 1.3.2026).")
TIME_EXPECTED = L_("Please type a time like 7:00 or 18:30, or tap a button.")
TIME_NIGHT = L_("Please pick a time outside 01:00–03:59 (clock changes happen then), e.g. 7:00.")
TEXT_TOO_LONG = L_("Please keep it under {limit} characters.")
TEXT_EMPTY = L_("Please type a few letters, or tap a button.")
ZONE_UNKNOWN = L_(
    "I don't know that place. Type your city or country, tap a region, or share your location."
)
NON_TEXT = L_("I can only read text and buttons here.")
# An edited message is never read again: its first version was the answer (or was refused).
EDIT_NOT_READ = L_(
    "I don't read edited messages, so that change was not saved. To change an answer, tap ◀ Back."
)
EDIT_NOT_READ_NOTHING_OPEN = L_(
    "I don't read edited messages, so that change was not saved. Please send it as a new message."
)
FORWARDED_NOT_ANSWER = L_(
    "That is a forwarded message, so I haven't used it as your answer. Please tap or type your own."
)
EXPIRED = L_("This question has expired")
# A typed answer sent before the athlete could see the open question (two answers sent back to
# back, or one typed again while a reply was on its way) is not used. When the question reached
# them after that answer, it is already on their screen; otherwise it is shown again below.
TYPED_BEFORE_QUESTION_ABOVE = L_(
    "That reply reached me before you could see my last question, so I haven't used it. "
    "Please answer the question above."
)
TYPED_BEFORE_QUESTION_COMING = L_(
    "That reply reached me before you could see my next question, so I haven't used it. "
    "Please answer the question just above."
)
TYPED_FOR_EARLIER_QUESTION = L_(
    "That reply reached me before you could see the question below, so I haven't used it. "
    "Please answer this one:"
)
SAME_QUESTION_AGAIN = L_("Here is the question again:")
UNKNOWN_COMMAND = L_("I don't know that command. /help lists what I can do.")
NOTHING_OPEN = L_("I'm not waiting for an answer right now. /help lists what I can do.")
# Issue 15: a message typed outside a questionnaire, or /problem.
ASK_PROBLEM = L_("What is wrong? Tell me in a few words.")
PROBLEM_OFFER = L_(
    "First, check your leg for warning signs now (🚩 below): it takes a minute, and a warning "
    "sign stops training and alerts your clinician at once. I can't judge from a message how "
    "your leg is."
)
PROBLEM_OFFER_NO_CLINICIAN = L_(
    "First, check your leg for warning signs now (🚩 below): it takes a minute, and a warning "
    "sign stops training. I can't judge from a message how your leg is. You have no clinician "
    "linked here, so for anything else please contact your own clinician or doctor."
)
# Said with the /problem offer and after a note is sent: what not to wait with.
PROBLEM_WORSE_FAST = L_(
    "Getting worse fast (swelling spreading, numbness, a hot or swollen calf)? Don't wait for "
    "a reply: call {who} now or go to urgent care. Chest pain or breathlessness: call {number} "
    "now."
)
YOUR_OWN_CLINICIAN = L_("your own clinician or doctor")
PROBLEM_SCREEN = L_("🚩 Check for warning signs")
PROBLEM_TELL = L_("💬 Tell my clinician")
PROBLEM_NOTHING = L_("All fine, thanks")
ASK_PROBLEM_RED_FLAGS = L_(
    "Right now or since yesterday, have you had any of these? Tap all that apply, then Done. "
    "If none, tap 'None of these'."
)
PROBLEM_NO_FLAGS = L_(
    "No warning signs: good. If the pain is more than usual, skip running today, and check "
    "in tomorrow morning before training. Send /problem any time."
)
# The same while today's check-in is on hold (the line saying so follows): no "tomorrow".
PROBLEM_NO_FLAGS_CHECKIN_WAITS = L_(
    "No warning signs: good. If the pain is more than usual, skip running today. Send /problem "
    "any time."
)
PROBLEM_NOTHING_DONE = L_("OK. Send /problem any time something feels wrong.")
YOUR_CLINICIAN = L_("your clinician")
PROBLEM_SENT = L_(
    "Sent to {clinician}. They read it when they next open Sprintback, which may not be soon."
)
PROBLEM_SENT_TO_YOUR_CLINICIAN = L_(
    "Sent to your clinician. They read it when they next open Sprintback, which may not be soon."
)
PROBLEM_TO_CLINICIAN = L_("💬 {athlete} wrote to you through Sprintback:\n\n{note}")
MULTI_EMPTY = L_("Nothing is ticked. Tap 'None of these' if you have none of them.")
PROBLEMS_INTRO = L_("I couldn't use that:")
PROBLEMS_OUTRO = L_("Please type the line again (or tap a button).")
QUESTION_COUNTER = "({n}/{total}) "

# --- Commands ---------------------------------------------------------------------------------

HELP_TITLE = L_("What I can do:")
HELP_FOOTER = L_("Sprintback supports your clinician; it does not replace them.")
CANCELLED = L_("Stopped. I kept the answers you gave. Send the command again to carry on.")
CANCEL_NOTHING = L_("There is nothing to cancel.")
PAUSED = L_(
    "Paused. I won't send prompts and your programme holds where it is. "
    "Send /resume when you are back."
)
ASK_PAUSE_REASON = L_("Why are you pausing? Your clinician will be told.")
ASK_PAUSE_REASON_NO_CLINICIAN = L_("Why are you pausing?")
PAUSE_ILL = L_("Ill")
PAUSE_TRAVEL = L_("Travelling")
PAUSE_WORSE = L_("The injury feels worse")
PAUSE_OTHER = L_("Something else")
PAUSED_WORSE = L_(
    "If the injury feels worse, send /problem now: I'll check it for warning signs and can "
    "tell your clinician."
)
CLINICIAN_ATHLETE_PAUSED = L_("⏸ {athlete} paused their programme ({reason}).")
CLINICIAN_ATHLETE_RESUMED = L_("▶️ {athlete} resumed their programme.")
RESUMED_CHECKED_IN = L_("Welcome back! Prompts are on again. /plan shows today's session.")
PLAN_PAUSED = L_(
    "Your programme is paused, so there is no session today. Send /resume when you are ready "
    "to continue."
)
ALREADY_PAUSED = L_("Your programme is already paused. Send /resume to continue.")
RESUMED = L_("Welcome back! Prompts are on again. Start with a /checkin before your next session.")
# /resume while running is stopped until a clinician's review: the pause did not lift it.
RESUMED_STOPPED = L_(
    "Welcome back. Prompts are on again.\n⛔ Still no running until your clinician has "
    "reviewed you."
)
# Under RESUMED_STOPPED: when the next check-in comes ({time}: the athlete's check-in time).
RESUMED_NEXT_CHECKIN_AT = L_("Your check-in comes at {time}.")
RESUMED_CHECKIN_NOW = L_("Send /checkin to check in today: your clinician sees your answers.")
RESUMED_STOPPED_CHECKED_IN = L_("/plan shows what you can do today.")
NOT_PAUSED = L_("Your programme is not paused.")
PAUSED_BY_CLINICIAN = L_(
    "Your clinician paused your programme, so only they can resume it. Message them if you "
    "feel ready to continue."
)
ASK_SETTING = L_("What would you like to change?")
SETTING_LABELS = {
    "timezone": L_("Time zone"),
    "checkin_time": L_("Check-in time"),
    "language": L_("Language"),
}
# The language step of /settings (issue 17): in the reader's language; the languages are
# offered in their own names.
ASK_LANGUAGE = L_("Which language should I write to you in?")
LANGUAGE_LABELS = LANGUAGE_NAMES
# TRANSLATORS: said in the language just chosen, so name that language ("in Spanish").
LANGUAGE_SAVED = L_("Done: from now on I write to you in English.")
SETTINGS_SAVED = L_("Saved. Time zone: {zone}. Morning check-in: {time}. Language: {language}.")
FIRST_PROMPT_TOMORROW = L_(
    "That time has passed today, so your first check-in at it is tomorrow. To check in today, "
    "send /checkin."
)
ASK_BASELINE_COMMAND = L_(
    "Type the pre-injury best values you want to change, in one line, e.g. 'speed 9.1 10m 1.78 "
    "20m 3.0 30m 4.05 40m 5.15'. What you don't type is kept.\n"
    "Current baseline: {current}"
)
BASELINE_SAVED = L_("Baseline saved: {echo}")
BASELINE_CHANGED = L_("Baseline saved. Changed:")
BASELINE_KEPT = L_("Kept as before:")
BASELINE_WAS = L_("(was {value})")
BASELINE_UNCHANGED = L_("Nothing was changed.")
BASELINE_NONE = L_("none yet")
DELETE_CONFIRM_1 = L_(
    "This deletes your account and all your data for good: injury, check-ins, sessions, "
    "decisions. It cannot be undone. Do you want to continue?"
)
DELETE_CONFIRM_2 = L_("Are you completely sure? Last chance.")
DELETE_YES_1 = L_("Yes, continue")
DELETE_YES_2 = L_("Yes, delete everything")
DELETE_NO = L_("No, keep my data")
DELETED = L_("Done. All your data has been deleted. If you ever want to start again, send /start.")
SIGNUP_DELETED = L_(
    "Done. You had not finished signing up; what you had started has been removed, so "
    "nothing about you is stored. Send /start if you want to begin again."
)
NOTHING_STORED = L_("Nothing about you is stored here, so there is nothing to delete.")
DELETE_KEPT = L_("Nothing was deleted.")
EXPORT_CAPTION = L_("Your Sprintback data ({kind}).")
NO_DATA = L_("There is nothing to show yet.")
# /plan before the check-in: no training is prescribed without one (the engine's rule).
PLAN_NEEDS_CHECKIN = L_(
    "No training until you check in: send /checkin. What you can do today depends on your answers."
)
# Above the session /plan previews before the check-in: what it would be, not today's yet.
PLAN_PREVIEW_TITLE = L_("After a good check-in · {stage}")

# /unlink: an athlete stops sharing their data with one clinician (consent withdrawn).
UNLINK_NONE = L_(
    "No clinician sees your data. If a clinician should, ask them for an invitation code "
    "and send /link with it."
)
ASK_UNLINK_WHICH = L_("Which clinician should stop seeing your data?")
ASK_UNLINK_CONFIRM = L_(
    "Stop sharing your data with {clinician}? They will no longer see your answers or "
    "results, and will not be alerted about warning signs. Your data stays stored."
)
UNLINK_YES = L_("Stop sharing")
UNLINK_NO = L_("Keep sharing")
UNLINKED = L_("Done: {clinician} no longer sees your data.")
UNLINKED_NONE_LEFT = L_(
    "No clinician sees your data now, so no clinician is alerted about a warning sign: you "
    "are shown what to do. To share again, ask a clinician for an invitation code and send "
    "/link with it."
)
UNLINK_KEPT = L_("Nothing changed.")
CLINICIAN_ATHLETE_UNLINKED = L_(
    "Sprintback: {athlete} stopped sharing their data with you, so they no longer appear in "
    "your list."
)
CLINICIAN_ATHLETE_DELETED = L_(
    "Sprintback: athlete #{id} deleted their account. All of their data has been removed, "
    "so they no longer appear in your list."
)
WHY = L_("Why:")
ABOUT_THIS_SESSION = L_("⚠️ About this session:")
SESSION_FLAG_RULES = ("session.flag.", "session.against_plan")
# The engine's alerts about the session itself (running against the plan, rest intervals,
# readings too fast to trust), as opposed to the day's or the stage's.
_SESSION_ALERT_RULES = ("session.", "rest.")
NEXT = L_("What's next:")
# An emergency's first line: the call to make, before anything about training.
EMERGENCY_HEAD = L_("🚨 Call {number} now, or go to the emergency department.")


# --- Rendering engine results (plain text) ----------------------------------------------------
# Issue 15: a verdict is one headline, at most three reasons that matter today, today's session
# and a "Why?" button (or /status) for the full list; every reason in the athlete's words
# (bot.wording.reasons), never the engine's record text.

HEADLINES = {
    "go": L_("✅ Train as planned today."),
    "modify": L_("🟡 Train today, but lighter than planned."),
    "rest": L_("😴 Rest today: no running."),
    # Every stop holds until a clinician has reviewed (engine: suspended), not just today.
    "stop": L_("⛔ No training until your clinician has reviewed you."),
}
WHY_BUTTON = L_("Why?")
NO_RUNNING_REST = L_("😴 No running today: your muscle rests between fast sessions.")
NO_RUNNING_REVIEW = L_("⛔ No running until your clinician has reviewed you.")
CHART_AFTER_MOVE = L_("📈 Your progress so far. Now: {after}.")
WHY_TITLE = L_("Why ({date}):")
WHY_NONE = L_("There is nothing more to explain for that day.")
MOVED_UP = L_("⬆️ You move up to {stage}.")
STEPPED_BACK = L_("↩️ Back one stage for a few days: {stage}.")
SESSION_SAVED_GOOD = L_("✅ Session saved. Same level next time.")
# A session that holds the stage because of it (pain, or not completed): no green tick.
SESSION_SAVED_HOLD = L_("🟡 Session saved. Same level next time.")
# A session that would step back (pain), at the first stage: nothing below it.
SESSION_SAVED_FIRST_STAGE = L_(
    "🟡 Session saved. You stay at this stage because of the pain: keep to what stays pain-free."
)
SESSION_SAVED_MOVED = L_("⬆️ Session saved. You move up to {stage}.")
# The first session at the stage the morning moved the athlete up to.
SESSION_SAVED_ALREADY = L_("✅ Session saved: your first at {stage}.")
# The same words as under today's session (bot.wording.plan).
NEXT_FAST_SESSION = L_("Next fast session: in {hours} h or more.")
SESSION_SAVED_BACK = L_("↩️ Session saved. We go back one stage for a few days: {stage}.")
SESSION_SAVED_FLAGGED = L_("🟡 Session saved, but it does not count towards moving up.")
SESSION_SAVED_STOP = L_("⛔ Stop training. Your session is saved.")
# Under a warning sign's instruction after a session (the instruction says to stop).
SESSION_SAVED_NOTE = L_("Your session is saved.")
# A rest day at a stage without running (nothing to leave out): what they may do follows.
REST_TODAY = L_("😴 Rest today: light activity only.")
# The title of what a rest day allows (never "Today's session" under "Rest today").
REST_DAY_TITLE = L_("What you can do today · {stage}")
# Under the title of a session without running (a rest day, a rest between fast sessions, a
# review awaited), by the pain reported that morning (the higher of at rest and in the test).
NO_RUNNING_WITH_PAIN = L_(
    "With this pain, walk and move only as far as it stays pain-free. The bike only once pain "
    "is 1/10 or less."
)
NO_RUNNING_LOW_PAIN = L_("Walking, mobility and the bike are fine if pain stays at 0–1/10.")
# The first thing a stage still needs, in the reasons under a verdict.
TO_MOVE_UP = L_("To move up: {what}")
NEXT_CHECKIN = L_("Next: your check-in tomorrow morning, before training.")
# After last night's session reported past midnight: the next check-in is this morning's.
NEXT_CHECKIN_TODAY = L_("Next: your check-in this morning, before training.")
# After a session on the day already started before a move west (a later date than here).
NEXT_CHECKIN_ON = L_("Next: your check-in on {date}, before training.")
NEXT_REVIEW = L_("Next: no training until your clinician has reviewed you.")
CLEARANCE_ASKED = L_("To move up, your clinician needs to give their OK: they have been asked.")
CLEARANCE_NO_CLINICIAN = L_(
    "To move up, your clinician needs to give their OK: ask them for a Sprintback link."
)


# voice.md: a normal day, session included, fits on one phone screen.
NORMAL_DAY_CHARS = 599


def _worded(outcome: Any, protocol: Any) -> list[Any]:
    return word_reasons(outcome.reasons, protocol, str(outcome.stage))


# A warning sign's instruction for an athlete with no clinician linked, by the tier's severity:
# the protocol's own words say the clinician has been told, which nobody was.
ALONE_INSTRUCTIONS = {
    "emergency": L_(
        "Stop now. Call your local emergency number or go to the emergency department. Do not "
        "drive yourself."
    ),
    "same_day": L_(
        "Stop training. This needs a medical assessment today: see your own clinician or "
        "doctor today, or go to urgent care or the emergency department."
    ),
    "within_24h": L_(
        "Stop this session and do no running until a clinician or doctor has seen you; please "
        "see one within 24 hours. Gentle walking as comfortable is fine."
    ),
}
ALONE_MORNING_INSTRUCTION = L_(
    "No running today, and none until a clinician or doctor has seen you; please see one "
    "within 24 hours. Gentle walking as comfortable is fine."
)


def _flag_lines(outcome: Any, protocol: Any, has_clinician: bool = True) -> list[str]:
    """The warning signs' instructions: the protocol's (a display text, read in the athlete's
    language), or, with no clinician linked, Sprintback's own words for the same tier."""
    if has_clinician:
        return [plain(protocol_text(i.text), protocol) for i in outcome.instructions]
    return [_alone_instruction(i.text, protocol) for i in outcome.instructions]


def _alone_instruction(told: str, protocol: Any) -> str:
    """The instruction ``told`` (a tier's text) as said to an athlete nobody else follows."""
    for spec in protocol.rules.red_flags.tiers.values():
        if told == spec.morning_instruction and spec.severity == "within_24h":
            return str(ALONE_MORNING_INSTRUCTION)
        if told in (spec.instruction, spec.morning_instruction):
            return str(ALONE_INSTRUCTIONS.get(spec.severity, ALONE_INSTRUCTIONS["same_day"]))
    # Not a tier's text (an older protocol version's words): the most urgent reading but one.
    return str(ALONE_INSTRUCTIONS["same_day"])


def _today_line(outcome: Any, readiness: str, worded: list[Any], protocol: Any = None) -> str:
    """What today holds, in one line: the verdict's headline, except on a day the stage runs
    but not today (rest between fast sessions, or a review awaited), which is never "train as
    planned" above a session without running; and a rest day at a stage without running,
    which has no running to leave out."""
    if readiness in ("go", "modify") and _running_held(outcome):
        review = any(w.rule == "gate.1" and w.kind == "unmet" for w in worded)
        return str(NO_RUNNING_REVIEW if review else NO_RUNNING_REST)
    if readiness == "rest" and protocol is not None:
        return rest_headline(outcome, protocol)
    return str(HEADLINES.get(readiness, HEADLINES["go"]))


def rest_headline(outcome: Any, protocol: Any) -> str:
    """The headline of a rest day: no running, or, at a stage without running, just rest."""
    return str(HEADLINES["rest"] if _stage_runs(protocol, outcome) else REST_TODAY)


def _stage_runs(protocol: Any, outcome: Any) -> bool:
    """Whether the stage of today's session has running in its template."""
    try:
        return bool(protocol.stage(str(outcome.stage_after)).running)
    except KeyError:
        return True  # unknown: "no running" is the safe word


def _reasons(worded: list[Any], limit: int = 3) -> list[str]:
    """At most ``limit`` reasons that matter today: what fired first, then what the stage
    still needs ("To move up: …"); when not all of it fits, the last line says how many more
    things, in words, and where to read them (never a bare "+2")."""
    chosen = today_reasons([w for w in worded if w.kind == "fired"], limit)
    unmet = [w.text for w in worded if w.kind == "unmet"]
    left = limit - len(chosen)
    if left <= 0 or not unmet:
        return chosen
    if len(unmet) <= left:
        return [*chosen, str(TO_MOVE_UP).format(what=unmet[0]), *unmet[1:]]
    if left == 1:
        more = len(unmet) - 1
        return [
            *chosen,
            ngettext(
                "To move up: {what}, and {n} more thing (/status lists it)",
                "To move up: {what}, and {n} more things (/status lists them)",
                more,
            ).format(what=unmet[0], n=more),
        ]
    shown = unmet[: left - 1]
    more = len(unmet) - len(shown)
    tail = ngettext(
        "and {n} more thing: /status lists it", "and {n} more things: /status lists them", more
    ).format(n=more)
    return [*chosen, str(TO_MOVE_UP).format(what=shown[0]), *shown[1:], tail]


def session_lines(
    plan: Any, protocol: Any, pain: int | None = None, *, rest: bool = False
) -> list[str]:
    """Return today's session as lines (``bot.wording.plan``); on a day without the stage's
    running, the headline already says so: the plan's own "no running" note gives way to
    what the athlete may do with the pain they reported (``pain``, None when unknown). On a
    rest day (``rest``) the title says what the day allows, not "Today's session"."""
    held = [n for n in plan.notes if str(n).startswith("No running today")]
    if not held:
        return _titled(plan_lines(plan, protocol), plan, protocol, rest)
    kept = [n for n in plan.notes if n not in held]
    lines = plan_lines(plan.model_copy(update={"notes": kept}), protocol)
    said = NO_RUNNING_WITH_PAIN if pain is not None and pain > 1 else NO_RUNNING_LOW_PAIN
    return _titled([lines[0], str(said), *lines[1:]], plan, protocol, rest)


def _titled(lines: list[str], plan: Any, protocol: Any, rest: bool) -> list[str]:
    """On a rest day the headline says rest: what follows is titled as what the day allows,
    not as a session ("😴 Rest today" above "Today's session" read as a contradiction)."""
    if not rest:
        return lines
    return [str(REST_DAY_TITLE).format(stage=stage_label(protocol, plan.stage)), *lines[1:]]


def morning_result(
    outcome: Any,
    protocol: Any,
    zone: str | None,
    has_clinician: bool,
    pain: int | None = None,
) -> list[str]:
    """Return the messages after a check-in: one headline, at most three reasons that matter
    today, and today's session (the full list is behind "Why?" and /status). ``pain``: the
    higher of the morning's pain at rest and in the test, for what a day without running
    allows.

    A red flag gives the tier's instruction first (with the local emergency number for an
    emergency), and says whether a clinician was alerted (safety messages may be longer).
    """
    # The morning message is about the morning: what a session report said comes after it.
    worded = [w for w in _worded(outcome, protocol) if not w.rule.startswith("session.")]
    if outcome.readiness == "stop" and outcome.instructions:
        if any(a.severity == "emergency" for a in outcome.alerts):
            head = str(EMERGENCY_HEAD).format(number=emergency_number(zone))
        else:
            head = str(HEADLINES["stop"])
        lines = [head, "", *_flag_lines(outcome, protocol, has_clinician)]
        if not has_clinician:
            lines += ["", str(NO_CLINICIAN_LINKED)]
        return ["\n".join(lines)]
    readiness = str(outcome.readiness)
    moved = outcome.stage_after != outcome.stage
    if moved and outcome.decision == "progress":
        head = str(MOVED_UP).format(stage=stage_label(protocol, outcome.stage_after))
        head += " " + str(HEADLINES.get(readiness, HEADLINES["go"]))
        reasons: list[str] = []
    elif moved and outcome.decision == "step_back":
        # The move, then what today holds (a step back often comes with a rest day).
        head = str(STEPPED_BACK).format(stage=stage_label(protocol, outcome.stage_after))
        head += " " + _today_line(outcome, readiness, worded, protocol)
        reasons = _reasons([w for w in worded if w.kind == "fired"])
    elif readiness in ("go", "modify") and _running_held(outcome):
        head = _today_line(outcome, readiness, worded, protocol)
        reasons = _reasons([w for w in worded if w.kind == "fired"], limit=2)
    else:
        head = _today_line(outcome, readiness, worded, protocol)
        if outcome.awaiting_clearance:
            reasons = _reasons([w for w in worded if w.kind == "fired"], limit=2)
            reasons.append(str(CLEARANCE_ASKED if has_clinician else CLEARANCE_NO_CLINICIAN))
        else:
            reasons = _reasons(worded)
    plan: list[str] = []
    if outcome.plan is not None and outcome.readiness != "stop":
        rest = outcome.readiness == "rest"
        plan = ["", *session_lines(outcome.plan, protocol, pain, rest=rest)]
    on_hold = any(w.rule == "gate.1" for w in worded)
    if not has_clinician and (_raised_for_clinician(outcome) or on_hold):
        # The reasons say the clinician has been told: nobody has.
        plan = ["", str(NO_CLINICIAN_LINKED), *plan]
    # A normal day fits on one phone screen: the reasons that do not fit stay behind "Why?".
    room = NORMAL_DAY_CHARS - len("\n".join([head, *plan]))
    shown: list[str] = []
    fired = {w.text for w in worded if w.kind == "fired"}
    for reason in reasons:
        line = f"• {reason}"
        if reason not in fired and len(line) + 1 > room:
            break
        shown.append(line)
        room -= len(line) + 1
    return ["\n".join([head, *shown, *plan])]


def _raised_for_clinician(outcome: Any) -> bool:
    """Whether the day raised an alert a linked clinician would have received (not the
    sign-off request, which has its own words for an athlete without a clinician)."""
    return any(a.severity != "info" or a.rule == "stall" for a in outcome.alerts)


def _running_held(outcome: Any) -> bool:
    """Whether today's plan drops the running the stage has (the engine's "no running" day)."""
    plan = outcome.plan
    if plan is None:
        return False
    return any(str(note).startswith("No running today") for note in plan.notes)


def plan_text(outcome: Any, protocol: Any, pain: int | None = None) -> str:
    """Return today's session: the stage by number and name, drills, speeds, rest, notes
    (``pain``: the morning's, for what a day without running allows)."""

    if outcome.plan is None:
        return str(NO_DATA)
    rest = outcome.readiness == "rest"
    return "\n".join(session_lines(outcome.plan, protocol, pain, rest=rest))


def plan_preview_text(outcome: Any, protocol: Any) -> str:
    """Return the session /plan previews before the check-in, titled as what a good check-in
    would give, never as today's session (none is prescribed without a check-in)."""
    if outcome.plan is None:
        return str(NO_DATA)
    lines = session_lines(outcome.plan, protocol)
    stage = stage_label(protocol, outcome.plan.stage)
    return "\n".join([str(PLAN_PREVIEW_TITLE).format(stage=stage), *lines[1:]])


def _unmet_after(status: Any, protocol: Any) -> list[Any]:
    """What the stage still needs once the session is counted (the decision's own list was
    made before the session's checks were read): as worded reasons."""
    return [
        Worded("unmet", gate_item_words(item, protocol, status.stage), str(item.rule))
        for item in status.gate
        if not item.met and item.rule not in ("gate.2", "gate.final")
    ]


def session_result(
    outcome: Any,
    protocol: Any,
    zone: str | None = None,
    *,
    announced: bool = False,
    status: Any = None,
    overnight: bool = False,
    has_clinician: bool = True,
    coming: str | None = None,
    next_checkin_on: str | None = None,
    checkin_waits: bool = False,
) -> str:
    """Return the decision after a session report: one headline that follows the decision
    (the move, the same level again, held for pain), what was wrong with the session itself
    first, at most three reasons, and what is next (``coming``: a line on what comes before
    that, e.g. a follow-up question). A stop leads with what to do, says it once, and keeps
    nothing about counting (a stopped session never counts).

    ``announced``: the morning message already said today's move up, so the headline says
    what comes next at the new stage; ``status``: the stage status after the day, whose unmet
    items replace the decision's (made before the session's checks counted); ``overnight``:
    the report is last night's, sent after midnight, so the next check-in is this morning's;
    ``has_clinician`` False: a stop, a warning sign or a flag that would have reached a
    clinician says that nobody was alerted, as the morning does; ``checkin_waits``: the day's
    check-in is on hold, half answered (the line saying so follows this message), so no
    "Next: your check-in tomorrow"."""
    from bot.wording.stages import stage_label

    decision = str(outcome.decision)
    if decision == "stop":
        return _session_stop(outcome, protocol, zone, has_clinician)
    held = _held_at_first_stage(outcome)
    # "We go back one stage", then "already at the first stage": the headline says it once.
    worded = [w for w in _worded(outcome, protocol) if w.rule not in held]
    flagged = [w for w in worded if w.rule.startswith(SESSION_FLAG_RULES)]
    others = [w for w in worded if not w.rule.startswith(SESSION_FLAG_RULES)]
    if status is not None and status.stage == outcome.stage_after:
        # "Not yet: walking pain" right after the athlete reported it: never (issue 15).
        others = [w for w in others if w.kind != "unmet"] + _unmet_after(status, protocol)
    moved = outcome.stage_after != outcome.stage
    after = stage_label(protocol, outcome.stage_after)
    nxt = str(NEXT_CHECKIN_TODAY if overnight else NEXT_CHECKIN)
    if next_checkin_on is not None:
        # The day already started before a move west: "tomorrow" here is already checked in.
        nxt = NEXT_CHECKIN_ON.format(date=next_checkin_on)
    coming_lines = [coming] if coming else []
    if flagged and not (decision == "step_back" and moved):
        head = str(SESSION_SAVED_FLAGGED)
    elif decision == "progress" and moved and announced:
        head = str(SESSION_SAVED_ALREADY).format(stage=after)
        plan = outcome.plan
        if plan is not None and plan.rest_hours and plan.running:
            coming_lines.insert(0, str(NEXT_FAST_SESSION).format(hours=plan.rest_hours))
    elif decision == "progress" and moved:
        head = str(SESSION_SAVED_MOVED).format(stage=after)
    elif decision == "step_back" and moved:
        head = str(SESSION_SAVED_BACK).format(stage=after)
    elif held:
        head = str(SESSION_SAVED_FIRST_STAGE)
    elif decision == "hold" and _session_held_it(outcome, worded):
        head = str(SESSION_SAVED_HOLD)
    else:
        head = str(SESSION_SAVED_GOOD)
    if any(a.severity == "emergency" for a in outcome.alerts):
        head = str(EMERGENCY_HEAD).format(number=emergency_number(zone)) + "\n" + head
    lines = [head]
    if outcome.instructions:
        lines += ["", *_flag_lines(outcome, protocol, has_clinician)]
    about = [w.text for w in flagged][:3]
    if about:
        lines += [str(ABOUT_THIS_SESSION), *[f"• {r}" for r in about]]
    reasons: list[str] = []
    if (decision != "progress" or not moved or announced) and len(about) < 3:
        reasons = _reasons(others, limit=3 - len(about))
    if reasons and not outcome.instructions:
        lines += [f"• {r}" for r in reasons]
    if not has_clinician and _told_clinician(outcome, decision, flagged):
        # The flags' words say the clinician knows.
        lines += ["", str(NO_CLINICIAN_LINKED)]
    # Today's check-in on hold: finishing it is what comes next (said just after this).
    ending = coming_lines if checkin_waits else [*coming_lines, str(nxt)]
    if ending:
        lines += ["", *ending]
    return "\n".join(lines)


def _session_stop(outcome: Any, protocol: Any, zone: str | None, has_clinician: bool) -> str:
    """A stop after a session report (sharp pain, a pop, a warning sign): what to do first,
    "stop" said once (the warning sign's instruction says it), that the session is saved and
    who was told; nothing about counting."""
    told = _flag_lines(outcome, protocol, has_clinician)
    if any(a.severity == "emergency" for a in outcome.alerts):
        lines = [str(EMERGENCY_HEAD).format(number=emergency_number(zone)), *told]
    elif told:
        lines = [f"⛔ {told[0]}", *told[1:]]
    else:
        lines = [str(SESSION_SAVED_STOP)]
    if told:
        lines.append(str(SESSION_SAVED_NOTE))
    if not has_clinician:
        lines += ["", str(NO_CLINICIAN_LINKED)]
    return "\n".join([*lines, "", str(NEXT_REVIEW)])


# The engine's reason when a step back is due at the first stage (engine.programme._step_back).
_FIRST_STAGE_HELD = "Already at the first stage"
# A red session's own reasons: both say "we go back one stage".
_RED_SESSION_RULES = frozenset({"session.red", "session.red.pain_1h"})


def _held_at_first_stage(outcome: Any) -> frozenset[str]:
    """The rules of a step back the first stage turned into a hold (a red session, a
    regression trigger): their reasons say "we go back one stage", which did not happen.
    Empty when no such hold was made."""
    rules = {str(r.rule) for r in outcome.reasons if str(r.text).startswith(_FIRST_STAGE_HELD)}
    if not rules or str(outcome.decision) != "hold":
        return frozenset()
    if "session.red" in rules:
        rules |= _RED_SESSION_RULES
    return frozenset(rules)


def _session_held_it(outcome: Any, worded: list[Any]) -> bool:
    """Whether the session itself holds the stage: pain in it (amber or red), or not
    completed because of symptoms or fear."""
    return str(outcome.session_class) in ("amber", "red") or any(
        w.rule == "session.incomplete" for w in worded
    )


def _told_clinician(outcome: Any, decision: str, flagged: list[Any]) -> bool:
    """Whether a session's result tells the athlete a clinician was alerted: a stop, a
    warning sign's instruction, or a flag on the session (a run on a day without running,
    above the day's cap...) whose alert would have gone to the clinician."""
    if decision == "stop" or outcome.instructions:
        return True
    return bool(flagged) and any(
        str(a.rule).startswith(_SESSION_ALERT_RULES) for a in outcome.alerts
    )


def why_text(outcome: Any, protocol: Any, day: Any, status: Any = None) -> str:
    """Return the full list behind "Why?": every reason of that day's verdict or decision;
    with ``status`` (after a session), what the stage needs as it stands now."""
    worded = _worded(outcome, protocol)
    if status is not None and status.stage == outcome.stage_after:
        worded = [w for w in worded if w.kind not in ("met", "unmet")] + [
            Worded(
                "met" if item.met else "unmet",
                gate_item_words(item, protocol, status.stage),
                str(item.rule),
            )
            for item in status.gate
            if item.rule not in ("gate.2", "gate.final")
        ]
    lines = full_reasons(worded)
    if not lines:
        return str(WHY_NONE)
    return "\n".join([str(WHY_TITLE).format(date=format_short_date(day)), *lines])


# The day the athlete reached the stage. The days still needed are said once, in the list
# below it, as the morning and the evening say them ("1 more day at this stage"), with the day
# that makes them: "Days at this stage: 2 (3 needed)" above "1 more day at this stage" read as
# two different counts (the first counts the days before today, the second counts today).
STATUS_SINCE = L_("At this stage since {date}.")
STATUS_SINCE_TODAY = L_("At this stage since today.")
# After an unmet "N more days at this stage" (the days counted with today).
STATUS_DAYS_TOMORROW = L_("{needed}: you can move up tomorrow at the earliest")
STATUS_DAYS_ON = L_("{needed}: you can move up on {date} at the earliest")
STATUS_NEEDED = L_("To move up:")
STATUS_ALL_MET = L_("Everything this stage needs is in place: you move up after a good day.")
STATUS_SIGNOFF = L_("⏳ Waiting for your clinician's OK to move on.")
STATUS_PAUSED = L_("⏸ Your programme is paused.")
STATUS_SUSPENDED = L_("⛔ No running until your clinician has reviewed you.")
STATUS_FINAL = L_("This is the last stage.")


def _days_left(item: Any, words: str, today: dt.date | None) -> str:
    """An unmet days-at-this-stage item with the first day it is met: "1 more day at this
    stage: you can move up tomorrow at the earliest" (the same count as the item's)."""
    seen, need = item.observed, item.needed
    if today is None or not isinstance(seen, int) or not isinstance(need, int):
        return words
    left = max(need - seen, 1)
    if left == 1:
        return str(STATUS_DAYS_TOMORROW).format(needed=words)
    day = today + dt.timedelta(days=left)
    return str(STATUS_DAYS_ON).format(needed=words, date=format_short_date(day))


def status_text(status: Any, protocol: Any, today: dt.date | None = None) -> str:
    """Return /status: where the athlete is and what they need to move up, each said once.

    A stop until the clinician's review first, then the stage by number and name, since when
    the athlete is at it (``today`` is their working day), and every thing the next stage
    needs in plain words, met (✅), not yet (⬜) or, for the clinician's OK once it is all
    that is left, waited for (⏳); the days and sessions still needed are said there only,
    as the morning and the evening say them. The clinician's OK is one line of that list,
    never repeated below it. Today's session is /plan's, never said here."""
    lines = [str(STATUS_SUSPENDED)] if status.suspended else []
    lines.append(stage_label(protocol, status.stage))
    if today is not None:
        days = status.days_in_stage
        lines.append(
            str(STATUS_SINCE_TODAY)
            if days <= 0
            else str(STATUS_SINCE).format(date=format_short_date(today - dt.timedelta(days=days)))
        )
    if status.next_stage is None:
        lines.append(str(STATUS_FINAL))
    else:
        lines.append(str(STATUS_NEEDED))
        only_signoff_left = all(
            item.met for item in status.gate if item.rule not in ("gate.2", "gate.8")
        )
        for item in status.gate:
            if item.rule in ("gate.2", "gate.final"):
                continue
            if item.rule == "gate.5.sessions" and not status.min_sessions:
                continue  # the stage needs none
            mark = "✅" if item.met else "⬜"
            if item.rule == "gate.8" and not item.met and only_signoff_left:
                mark = "⏳"  # everything else is in place: the clinician has been asked
            words = gate_item_words(item, protocol, status.stage)
            if item.rule == "gate.5.days" and not item.met:
                words = _days_left(item, words, today)
            lines.append(f"{mark} {words}")
        if all(item.met for item in status.gate if item.rule != "gate.2"):
            lines.append(str(STATUS_ALL_MET))
    listed = status.next_stage is not None and any(i.rule == "gate.8" for i in status.gate)
    if status.signoff_pending and not listed:
        # Said once: the list above already names the clinician's OK when it holds it.
        lines.append(str(STATUS_SIGNOFF))
    if status.paused:
        lines.append(str(STATUS_PAUSED))
    return "\n".join(lines)


HISTORY_HEAD = L_(
    "Last 14 days (date · morning · after the day · stage · pain at rest/test · session pain)"
)
HISTORY_MORNING = {
    "go": L_("train"),
    "modify": L_("lighter"),
    "rest": L_("rest"),
    "stop": L_("stop"),
    "missing": L_("no check-in"),
}
HISTORY_DAY = {
    "progress": L_("moved up"),
    "hold": L_("same stage"),
    "step_back": L_("back one stage"),
    "stop": L_("stopped"),
}


def history_text(days: Any, decisions: Any, protocol: Any = None) -> str:
    """Return /history: one line per day of the last 14 (verdict and decision in words, the
    stage by number, pain)."""
    if not days and not decisions:
        return str(NO_DATA)
    by_day: dict[Any, dict[str, Any]] = {}
    for d in decisions:
        entry = by_day.setdefault(d.local_date, {})
        entry[d.kind] = d.outcome
        stage = d.decision.get("stage_after") if isinstance(d.decision, dict) else None
        if stage:
            entry["stage"] = stage
    records = {d.date: d for d in days}
    lines = [str(HISTORY_HEAD)]
    for day in sorted(set(by_day) | set(records)):
        entry = by_day.get(day, {})
        record = records.get(day)
        morning = record.morning if record is not None else None
        session = record.session if record is not None else None
        pain = f"{_v(morning.pain_rest)}/{_v(morning.pain_test)}" if morning is not None else "–/–"
        session_pain = _v(session.pain_max) if session is not None else "–"
        paused = " ⏸" if record is not None and record.paused else ""
        said = HISTORY_MORNING.get(str(entry.get("morning")))
        done = HISTORY_DAY.get(str(entry.get("daily")))
        stage = entry.get("stage")
        where = "–"
        if stage and protocol is not None:
            where = stage_position(protocol, str(stage))
        lines.append(
            f"{format_short_date(day)} · {said or '–'} · {done or '–'} · {where} · {pain} · "
            f"{session_pain}{paused}"
        )
    return "\n".join(lines)


def _v(value: Any) -> str:
    return "–" if value is None else str(value)


def combined_csv(files: dict[str, str]) -> str:
    """Join per-table CSV texts into one CSV file, each table under a '# table' line."""
    parts = []
    for name, text in files.items():
        parts.append(f"# {name.removesuffix('.csv')}\n{text}")
    return "\n".join(parts)


# --- The athlete's working day after a move west ----------------------------------------------
# A day that already holds the athlete's answers or decisions stays their day after a move west
# to an earlier date, until the local date catches up: said above the first question of a
# check-in or session report that counts for it ({date}: "Thursday 5 March").
DAY_AHEAD = L_("🗓 This counts for {date}, the day you already started in your previous time zone.")
# /checkin on that day when it already has a check-in.
CHECKIN_DONE_AHEAD = L_(
    "You already checked in for {date} in your previous time zone, and that check-in still "
    "counts: your next check-in is on {next_date}. /plan shows the session for {date}."
)
