// What Motivational Interviewing is, its four principles with how each
// supports Family Safeguarding practice, and Family Safeguarding's own five
// key principles.

#include "services/content/seed_articles.h"

namespace training::content {
namespace {

constexpr const char* kEveryCourse[] = {
    "courses/intro-mi", "courses/mi-three-day-social-care",
    "courses/mi-development-group", "courses/mi-family-safeguarding-webinar"};

std::vector<const char*> EveryCourse() {
  return {std::begin(kEveryCourse), std::end(kEveryCourse)};
}

v1::CreateArticleRequest WhatIsMi() {
  return SeedArticle(
      "what-is-motivational-interviewing", v1::Article::PAGE,
      "What is Motivational Interviewing?",
      "A way of talking with people about change that draws out their own "
      "reasons for it, rather than pressing ours on them. Where it came from, "
      "where it is used, and why the partnership teaches it.",
      R"md(Most people who work with families know this conversation. You
explain, clearly and kindly, what needs to change. The parent agrees. A
few weeks later nothing has changed, and the same conversation happens
again. Before long the family is described as "resistant", although
everyone has tried hard.

Motivational Interviewing (MI) is a way of having that conversation
differently. Instead of telling people why they should change, the
practitioner helps them find and say their own reasons, and builds on
the strengths they already have. People are far more likely to act on
reasons they have put into words themselves.

## Where it came from

MI began in **1983**, when the psychologist William R. Miller noticed
how much changed for people with drinking problems when he changed the
way he talked with them. Arguing for change tended to produce arguments
against it; listening carefully and reflecting back tended to produce
movement.

## Where it is used

The first evidence came from work on alcohol and drug use. Since then MI
has been used in:

- general practice, dentistry and midwifery;
- diabetes care, weight management and stopping smoking;
- schools and children's social care;
- and, more recently, sports coaching.

More than 2,000 randomised controlled trials have studied it, which
makes it one of the most tested approaches to helping people change.

## Why the partnership teaches it

Children's Services in the county adopted MI about three years ago. It
is now part of everyday practice in children's social care, the family
intervention service and public health nursing. Colleagues in other
agencies asked how they could use it too, so the partnership opened
its training to everyone who works with children and families.

## Where to start

The four principles of MI are a good place to begin:

1. Express empathy.
2. Support self-efficacy.
3. Roll with resistance.
4. Develop discrepancy.

Each has its own article, with what it looks like in Family
Safeguarding practice. The *Introduction to Motivational Interviewing*
workshop is a free, friendly half-day to try the ideas out for
yourself.
)md",
      {"motivational-interviewing", "introduction"}, EveryCourse());
}

v1::CreateArticleRequest ExpressEmpathy() {
  return SeedArticle(
      "principle-express-empathy", v1::Article::PRINCIPLE,
      "MI principle: express empathy",
      "Seeing the world through the parent's or child's eyes, and hearing "
      "their experience in their own words.",
      R"md(Empathy in MI means working to understand how things look
from where the other person stands: the parent, the child, the
grandparent who has stepped in. It is not agreeing with everything, and
it is not sympathy. It is listening closely enough to say back what you
heard in a way the person recognises.

## What it sounds like

- Open questions: *"What has the last month been like for you?"*
- Reflections: *"You're worn out, and you feel nobody sees how hard
  you're trying."*
- Checking, not assuming: *"Have I got that right?"*

## How it supports Family Safeguarding practice

When family members feel heard and understood, they tend to say more,
and to say it more honestly. Trust grows between the family and the
worker. Plans built on what the family has really said are more likely
to be followed, and the changes they lead to are more likely to last.
)md",
      {"mi-principle", "empathy", "family-safeguarding"}, EveryCourse());
}

v1::CreateArticleRequest SupportSelfEfficacy() {
  return SeedArticle(
      "principle-support-self-efficacy", v1::Article::PRINCIPLE,
      "MI principle: support self-efficacy",
      "A strengths-based stance: everyone has what it takes to make "
      "changes, and believing that is what gets change started.",
      R"md(Self-efficacy is a person's belief that they can do
something. MI starts from the view that everyone has the resources to
make changes in their life. When a parent comes to believe that change
is possible for them, that belief is itself a strong push to act.

## What it sounds like

- Affirmations that are specific and true: *"You got all three children
  to school every day this week, even with the car off the road."*
- Asking about past successes: *"When have you managed something like
  this before? What helped?"*

## How it supports Family Safeguarding practice

Focusing on what the family already does well, and on the skills and
strengths they have, reduces self-doubt and builds confidence. That
confidence can then be carried into harder parts of family life. A
parent's own wish to change matters enormously: it is central to the
child's wellbeing and safety, and it is far more durable than change
made only because a professional insisted.
)md",
      {"mi-principle", "strengths-based", "family-safeguarding"},
      EveryCourse());
}

v1::CreateArticleRequest RollWithResistance() {
  return SeedArticle(
      "principle-roll-with-resistance", v1::Article::PRINCIPLE,
      "MI principle: roll with resistance",
      "Not confronting or escalating: exploring the concerns behind "
      "resistance so that the family can own the plan.",
      R"md(Resistance usually appears when two views of a problem, or of
its solution, collide, or when someone feels their right to decide for
themselves is under threat. It leaves people in two minds:
ambivalent. Pushing harder tends to make them push back.

MI does not confront resistance. The practitioner steps back from the
argument, explores what lies behind the concern, and invites new ways
of looking at the situation.

## What it sounds like

- *"It sounds like being told what to do by yet another professional is
  the last thing you need."*
- *"What would you want to happen, if it were up to you?"*

## How it supports Family Safeguarding practice

Conversations do not escalate. The parent describes the problem and
suggests their own solutions, and the whole family contributes to the
plan, so they own it. Practitioners work *with* families rather than
wrestling with them: a partnership, with less of a feeling of "us and
them".
)md",
      {"mi-principle", "resistance", "family-safeguarding"}, EveryCourse());
}

v1::CreateArticleRequest DevelopDiscrepancy() {
  return SeedArticle(
      "principle-develop-discrepancy", v1::Article::PRINCIPLE,
      "MI principle: develop discrepancy",
      "Helping people see the gap between where they are and where they "
      "want to be, in the light of their own values and goals.",
      R"md(People are moved to change when they notice a gap between
how things are and how they want them to be. MI helps people see how
what they are doing now is taking them away from what they value and
what they want for themselves. It does this gently, and never at the
cost of the other three principles: the person should feel understood,
capable and free to choose throughout.

## What it sounds like

- *"What kind of dad do you want your children to remember?"*
- *"On one hand the drinking helps you get through the evenings; on the
  other, you said mornings with the kids are the part of the day you
  care about most."*

## How it supports Family Safeguarding practice

Parents come to see for themselves how their current behaviour conflicts
with caring safely for their child and with being the parent they want
to be. Because they are working towards goals they chose, they feel
listened to and supported rather than judged or told what to do.
)md",
      {"mi-principle", "discrepancy", "family-safeguarding"}, EveryCourse());
}

v1::CreateArticleRequest FamilySafeguarding() {
  return SeedArticle(
      "family-safeguarding-key-principles", v1::Article::PAGE,
      "The five key principles of Family Safeguarding",
      "The beliefs the Family Safeguarding model of children's social care "
      "is built on, and why MI fits it so well.",
      R"md(Family Safeguarding is a model of children's social care
that began in Hertfordshire and has since been taken up by other
councils. It rests on five key principles:

1. The parent is the best person to bring up their child.
2. Families should be supported so that their children can stay at
   home and live there safely.
3. Local authorities have a duty to support families to meet their
   needs.
4. Domestic abuse, parental drug and alcohol misuse, and poor mental
   health are the main reasons children are at risk of harm within
   their families.
5. Staff work in partnership with families, in a way that is
   respectful, empathic, honest and engaging.

## Where MI fits

The fifth principle describes MI's spirit almost exactly. The first two
depend on parents making and keeping changes, which is what MI is for.
And the three risks named in the fourth are the very areas in which MI
was first developed and tested.

| Family Safeguarding principle | MI principle that serves it |
|---|---|
| Parents are best placed to raise their children | Support self-efficacy |
| Children stay safely at home | Develop discrepancy |
| Partnership that is respectful and empathic | Express empathy, roll with resistance |
)md",
      {"family-safeguarding", "introduction"}, EveryCourse());
}

}  // namespace

std::vector<v1::CreateArticleRequest> SeedPracticeArticles() {
  return {WhatIsMi(),           ExpressEmpathy(),     SupportSelfEfficacy(),
          RollWithResistance(), DevelopDiscrepancy(), FamilySafeguarding()};
}

}  // namespace training::content
