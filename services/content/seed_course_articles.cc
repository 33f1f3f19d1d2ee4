// The demo courses' descriptions (each course's `article` names its own),
// a trainer's profile, questions and answers on booking that match what
// the booking service does, and reading before and after the introduction.

#include "services/content/seed_articles.h"

namespace training::content {
namespace {

std::vector<v1::CreateArticleRequest> CourseDescriptions() {
  return {
      SeedArticle(
          "course-intro-mi", v1::Article::COURSE_DESCRIPTION,
          "Introduction to Motivational Interviewing: about the workshop",
          "A free, friendly half-day for anyone who works with children and "
          "families, to try MI's principles and skills and judge whether "
          "they fit your work.",
          R"md(This half-day workshop is the partnership's first offer
and the door into the rest of the programme. It is open to anyone, in
any agency, who works with children and families in the county, and
it is free.

## What to expect

The session is meant to be fun, interactive and non-threatening. You
will:

- hear what MI is and where it came from;
- try its core skills (open questions, affirmations, reflections and
  summaries) in short, low-pressure exercises;
- see how Children's Services uses MI within Family Safeguarding;
- think about how the principles and skills might, or might not, fit
  your own workplace.

Nobody is asked to role-play in front of the whole group.

## Who it is for

Social workers, health visitors and school nurses, teachers and school
staff, police and probation officers, housing officers, and people in
the voluntary sector: everyone is welcome. No previous training is
needed.

## After the workshop

People who attend can read the *next steps* article on this site, and
may join the MI development groups.
)md",
          {"motivational-interviewing", "half-day", "course"},
          {"courses/intro-mi"}),
      SeedArticle(
          "course-mi-three-day-social-care", v1::Article::COURSE_DESCRIPTION,
          "The three-day introduction for social care staff",
          "Three days of practice with real case examples, observed and "
          "with feedback, for staff in children's social care and early "
          "help.",
          R"md(Inside Children's Services, social workers and other
social care staff begin with a three-day introduction to MI. It goes
well beyond the half-day workshop: each day mixes short input with a
lot of practice on case examples drawn from children's social care and
early help, and every participant is observed and given feedback.

The course is followed by regular development groups and webinars, so
that skills keep growing once people are back at work.

**Places:** when a place comes free, the first person on the waiting
list is offered it and has a limited time to accept before it passes on.
)md",
          {"motivational-interviewing", "social-care", "course"},
          {"courses/mi-three-day-social-care"}),
      SeedArticle(
          "course-mi-development-group", v1::Article::COURSE_DESCRIPTION,
          "MI development groups",
          "Small groups that meet regularly to practise, share recordings "
          "and reflect, for people who have done the introduction.",
          R"md(Skills in MI grow with practice and feedback, not with a
single course. Development groups are small, regular meetings where
practitioners bring recordings or accounts of real conversations, try
out skills with each other, and reflect on what helped.

You need to have attended the *Introduction to Motivational
Interviewing* first.
)md",
          {"motivational-interviewing", "development-group", "course"},
          {"courses/mi-development-group"}),
      SeedArticle("course-mi-family-safeguarding-webinar",
                  v1::Article::COURSE_DESCRIPTION,
                  "Webinar: how MI supports Family Safeguarding",
                  "A short online talk on how MI's principles serve the Family "
                  "Safeguarding model, with time for questions.",
                  R"md(A 90-minute online session for anyone curious about the
approach, managers included. It walks through the four principles of
MI and the five key principles of Family Safeguarding, shows where they
meet in everyday practice, and leaves plenty of time for questions.

The joining link is sent by e-mail the day before.
)md",
                  {"motivational-interviewing", "webinar", "course"},
                  {"courses/mi-family-safeguarding-webinar"}),
  };
}

v1::CreateArticleRequest TrainerProfile() {
  return SeedArticle(
      "trainer-tom-whitfield", v1::Article::TRAINER_PROFILE,
      "Tom Whitfield, MI trainer",
      "A certified MI trainer and member of the Motivational Interviewing "
      "Network of Trainers, and a social worker since 1995.",
      R"md(Tom is a certified Motivational Interviewing trainer and a
member of MINT, the Motivational Interviewing Network of Trainers. He
qualified as a social worker in 1995.

He has used MI throughout his career: in probation, in a youth
offending team, in a drug and alcohol service, and as a manager in
children's services. He now leads Family Safeguarding practice for the
partnership and teaches on the introduction workshops and the
three-day course.
)md",
      {"trainer"}, {"courses/intro-mi", "courses/mi-three-day-social-care"});
}

v1::CreateArticleRequest BookingQuestions() {
  return SeedArticle(
      "faq-booking", v1::Article::FAQ,
      "Booking, waiting lists, cancelling and sending a colleague",
      "How booking a place works, what happens when a session is full, and "
      "how to cancel or send someone in your place.",
      R"md(## How do I book?

Choose a session and give your name, work e-mail address,
organisation, type of agency and role. Training is free. You will get a
confirmation e-mail with a calendar invite and a link to manage your
booking. Keep that e-mail: the link is the only way in, and it works
without an account.

Booking usually closes two days before a session. You can hold one
place per session.

## The session is full. Can I still get a place?

Yes: join the waiting list and you will be told your position. Places
are given out strictly in the order people joined.

- For most sessions, when someone cancels the first person waiting gets
  the place straight away and is e-mailed.
- For the three-day course, the first person waiting is *offered* the
  place and has a set time to accept (usually 48 hours, less when the
  session is close). If they do not accept in time, it is offered to the
  next person.

If any date would suit you, you can join a course's waiting list for
any date, and a place freed on any session of that course can come to
you.

## How do I cancel?

Open the link in your confirmation e-mail and choose *Cancel booking*.
Please cancel as early as you can so that someone waiting can have
your place. Cancelling within 48 hours of the start counts as a late
cancellation. The places are free but limited: if someone does not
cancel and does not come twice in a year, we ask their manager to
confirm their next bookings.

## Can I send a colleague instead?

Yes. Use the link in your confirmation e-mail and give your colleague's
details. They must be able to book the course and not already be
booked on that session. They get their own confirmation and their own
link, and your link stops working.

## Will I be reminded?

Yes: by e-mail two weeks and two days before. For an online session the
joining link arrives the day before.

## I have another question

Use the *get in touch* form and the training team will reply.
)md",
      {"booking", "help"});
}

v1::CreateArticleRequest BeforeTheWorkshop() {
  return SeedArticle(
      "before-your-workshop", v1::Article::GUIDE,
      "Before your workshop: a short warm-up",
      "Ten minutes of reading and one thing to notice before the "
      "Introduction to Motivational Interviewing.",
      R"md(Thank you for booking. There is no homework, but these ten
minutes will help you get more from the day.

1. Read *What is Motivational Interviewing?* and the four principle
   articles on this site.
2. Over the next week, notice one conversation at work where you
   explained why someone should change. What did they say back? How
   did it end?
3. Bring that conversation (without names) to the workshop if you are
   happy to: we will use examples like it.

If you have access needs we should know about and did not mention when
booking, please tell the training team through *get in touch*.
)md",
      {"pre-course"}, {"courses/intro-mi"}, v1::Article::BOOKED);
}

v1::CreateArticleRequest NextSteps() {
  return SeedArticle(
      "after-your-workshop-next-steps", v1::Article::GUIDE,
      "After your workshop: next steps",
      "How to keep practising MI after the introduction, and where to go "
      "next in the programme.",
      R"md(Thank you for coming. Skills in MI grow through practice, so
here are some ways to keep going:

- **Pick one skill a week.** Try an extra reflection in every
  conversation for a week, then move on to affirmations.
- **Listen for change talk.** Notice when people give their own reasons
  for change, and ask them to say more.
- **Join a development group.** Small groups meet regularly to practise
  and reflect together; you can now book a place.
- **Watch the webinar** on how MI supports Family Safeguarding, and
  share it with your team.

We would be grateful for your feedback: the link is in the e-mail we
sent after the session.
)md",
      {"post-course"}, {"courses/intro-mi"}, v1::Article::ATTENDED);
}

}  // namespace

std::vector<v1::CreateArticleRequest> SeedCourseArticles() {
  std::vector<v1::CreateArticleRequest> all = CourseDescriptions();
  all.push_back(TrainerProfile());
  all.push_back(BookingQuestions());
  all.push_back(BeforeTheWorkshop());
  all.push_back(NextSteps());
  return all;
}

}  // namespace training::content
