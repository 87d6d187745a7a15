"""What the bot says, in Chinese and English; every value is Telegram HTML with ``{}`` fields to escape."""

LANGUAGES = ("zh", "en")

TEXTS: dict[str, dict[str, str]] = {
    "welcome": {
        "zh": "👋 你好!我是<b>隐私政策观察</b>机器人。\n\n我持续抓取各平台的隐私政策,保存每一个版本,"
        "政策一变就发给你 AI 变更报告和逐行对比链接。\n\n"
        "先试试:\n/platforms 浏览平台\n/follow 极氪 关注一个平台\n"
        "/compare 极氪 2025-11-10 对比两个日期的版本\n"
        "/help 查看全部命令",
        "en": "👋 Hi! I am the <b>PolicyWatch</b> bot.\n\nI keep fetching platforms' privacy policies, "
        "store every version, and when a policy changes I send you an AI report of the change and a "
        "side-by-side diff link.\n\nTry:\n/platforms browse platforms\n/follow zeekr follow one\n"
        "/compare zeekr 2025-11-10 compare the versions of two dates\n/help every command",
    },
    "help": {
        "zh": "<b>命令</b>\n"
        "/platforms [关键词] — 搜索平台,例:/platforms 小红书\n"
        "/follow 平台 — 关注,例:/follow 极氪\n"
        "/unfollow 平台 — 取消关注,例:/unfollow zeekr\n"
        "/list — 我关注的平台\n"
        "/history 平台 — 历史版本,例:/history 极氪\n"
        "/compare 平台 日期1 [日期2] — 对比两个日期生效的版本,例:/compare 极氪 2025-11-10 latest\n"
        "/latest 平台 — 最近一次变化,例:/latest 极氪\n"
        "/settings — 提醒方式(全部 / 仅中等以上 / 每周摘要)\n"
        "/lang — 切换语言 (中文 / English)\n\n"
        "日期写法:2025-11-10、2025/11/10、2025.11.10、20251110、2025年11月10日、latest、previous",
        "en": "<b>Commands</b>\n"
        "/platforms [query] — search platforms, e.g. /platforms xhs\n"
        "/follow platform — follow, e.g. /follow zeekr\n"
        "/unfollow platform — stop following, e.g. /unfollow zeekr\n"
        "/list — the platforms you follow\n"
        "/history platform — its versions, e.g. /history zeekr\n"
        "/compare platform date1 [date2] — compare the versions in force at two dates, "
        "e.g. /compare zeekr 2025-11-10 latest\n"
        "/latest platform — the most recent change, e.g. /latest zeekr\n"
        "/settings — alerts (every change / moderate and up / weekly digest)\n"
        "/lang — switch language (中文 / English)\n\n"
        "Dates: 2025-11-10, 2025/11/10, 2025.11.10, 20251110, 2025年11月10日, latest, previous",
    },
    "admin_help": {
        "zh": "\n\n<b>管理员</b>\n/check [平台] — 立即检查\n/stats — 运行状态",
        "en": "\n\n<b>Admin</b>\n/check [platform] — check now\n/stats — how things run",
    },
    "cmd_start": {"zh": "开始使用", "en": "Start"},
    "cmd_help": {"zh": "全部命令与示例", "en": "Every command with an example"},
    "cmd_platforms": {"zh": "搜索平台", "en": "Search platforms"},
    "cmd_follow": {"zh": "关注平台", "en": "Follow a platform"},
    "cmd_unfollow": {"zh": "取消关注", "en": "Stop following a platform"},
    "cmd_list": {"zh": "我关注的平台", "en": "The platforms you follow"},
    "cmd_history": {"zh": "历史版本", "en": "A platform's versions"},
    "cmd_compare": {"zh": "对比两个日期的版本", "en": "Compare the versions of two dates"},
    "cmd_latest": {"zh": "最近一次变化", "en": "The most recent change"},
    "cmd_settings": {"zh": "提醒设置", "en": "Alert settings"},
    "cmd_lang": {"zh": "切换语言", "en": "Switch language"},
    "usage_follow": {"zh": "请写上平台名,例如:/follow 极氪", "en": "Name a platform, e.g. /follow zeekr"},
    "usage_unfollow": {
        "zh": "请写上平台名,例如:/unfollow 极氪",
        "en": "Name a platform, e.g. /unfollow zeekr",
    },
    "usage_history": {"zh": "请写上平台名,例如:/history 极氪", "en": "Name a platform, e.g. /history zeekr"},
    "usage_latest": {"zh": "请写上平台名,例如:/latest 极氪", "en": "Name a platform, e.g. /latest zeekr"},
    "usage_compare": {
        "zh": "用法:/compare 平台 日期1 [日期2],例如:/compare 极氪 2025-11-10 latest",
        "en": "Usage: /compare platform date1 [date2], e.g. /compare zeekr 2025-11-10 latest",
    },
    "too_long": {
        "zh": "输入太长了(最多 {limit} 个字符),请缩短后再试。",
        "en": "That is too long (at most {limit} characters); please shorten it.",
    },
    "unknown_platform": {
        "zh": "找不到平台「{query}」。用 /platforms 查看全部平台。",
        "en": "No platform called “{query}”. /platforms lists them all.",
    },
    "did_you_mean": {
        "zh": "找不到平台「{query}」。你是不是指:",
        "en": "No platform called “{query}”. Did you mean:",
    },
    "several_match": {
        "zh": "「{query}」对应多个平台,请选择:",
        "en": "“{query}” matches several platforms; pick one:",
    },
    "followed": {
        "zh": "✅ 已关注 <b>{name}</b>。政策变化时会通知你。",
        "en": "✅ You now follow <b>{name}</b>. You will hear when its policies change.",
    },
    "already_following": {"zh": "你已经关注了 <b>{name}</b>。", "en": "You already follow <b>{name}</b>."},
    "unfollowed": {"zh": "已取消关注 <b>{name}</b>。", "en": "You no longer follow <b>{name}</b>."},
    "not_following": {"zh": "你没有关注 <b>{name}</b>。", "en": "You do not follow <b>{name}</b>."},
    "group_admins_only": {
        "zh": "只有群管理员可以为本群关注或取消关注平台。",
        "en": "Only the group's administrators can follow or unfollow platforms for the group.",
    },
    "list_title": {"zh": "<b>你关注的平台</b>", "en": "<b>The platforms you follow</b>"},
    "list_empty": {
        "zh": "你还没有关注任何平台。用 /platforms 或 /follow 极氪 开始。",
        "en": "You follow no platform yet. Start with /platforms or /follow zeekr.",
    },
    "platforms_title": {
        "zh": "<b>平台</b>(第 {page}/{pages} 页)",
        "en": "<b>Platforms</b> (page {page}/{pages})",
    },
    "platforms_found": {
        "zh": "<b>「{query}」的搜索结果</b>(第 {page}/{pages} 页)",
        "en": "<b>Platforms matching “{query}”</b> (page {page}/{pages})",
    },
    "no_platform_found": {
        "zh": "没有平台匹配「{query}」。试试中文名、英文名或拼音,或直接发送 /platforms。",
        "en": "No platform matches “{query}”. Try the Chinese or English name or pinyin, "
        "or plain /platforms.",
    },
    "button_follow": {"zh": "➕ {name}", "en": "➕ {name}"},
    "button_unfollow": {"zh": "取消关注 {name}", "en": "Unfollow {name}"},
    "button_prev": {"zh": "‹ 上一页", "en": "‹ Previous"},
    "button_next": {"zh": "下一页 ›", "en": "Next ›"},
    "button_diff": {"zh": "查看对比", "en": "View diff"},
    "button_report": {"zh": "完整报告", "en": "Full report"},
    "button_unfollow_short": {"zh": "取消关注", "en": "Unfollow"},
    "history_title": {"zh": "<b>{name}</b> 的历史版本", "en": "<b>{name}</b>: versions"},
    "history_version": {
        "zh": "#{id} · 更新日期 {updated} · 生效日期 {effective} · 首次发现 {seen}",
        "en": "#{id} · updated {updated} · effective {effective} · first seen {seen}",
    },
    "no_versions": {"zh": "尚未抓取到版本。", "en": "No version fetched yet."},
    "more_at": {"zh": "… 更多见 {link}", "en": "… more at {link}"},
    "more_link": {"zh": "网页", "en": "the web page"},
    "compare_title": {"zh": "<b>{name}</b> · {kind}", "en": "<b>{name}</b> · {kind}"},
    "compare_versions": {
        "zh": "版本 #{old}({old_seen})→ #{new}({new_seen})",
        "en": "Version #{old} ({old_seen}) → #{new} ({new_seen})",
    },
    "diff_link": {"zh": "逐行对比:{url}", "en": "Side-by-side diff: {url}"},
    "no_change_yet": {
        "zh": "<b>{name}</b> 还没有记录到变化(只有一个版本或尚未抓取)。",
        "en": "No change of <b>{name}</b> recorded yet (one version so far, or none fetched).",
    },
    "bad_date": {
        "zh": "「{value}」不是日期。可用写法:2025-11-10、2025/11/10、2025.11.10、20251110、"
        "2025年11月10日、latest、previous",
        "en": "“{value}” is not a date. Use 2025-11-10, 2025/11/10, 2025.11.10, 20251110, 2025年11月10日, "
        "latest or previous",
    },
    "impossible_date": {"zh": "「{value}」这一天不存在。", "en": "“{value}” is not a real date."},
    "compare_no_version": {"zh": "还没有记录到任何版本。", "en": "No version has been recorded yet."},
    "compare_one_version": {
        "zh": "目前只有一个版本,没有更早的版本可比。",
        "en": "There is only one version so far: there is no previous one.",
    },
    "compare_before_first": {
        "zh": "{date} 早于第一个记录的版本({first})。",
        "en": "{date} is before the first recorded version ({first}).",
    },
    "compare_future": {"zh": "{date} 还没到。", "en": "{date} is in the future."},
    "compare_same": {
        "zh": "两个日期生效的是同一个版本(#{id}),没有可对比的内容。",
        "en": "The same version (#{id}) was in force at both dates: nothing to compare.",
    },
    "lang_pick": {"zh": "选择语言:", "en": "Pick a language:"},
    "lang_set": {"zh": "好的,以后用中文回复。", "en": "OK, I will answer in English."},
    "other_bot": {
        "zh": "这条命令是发给 @{bot} 的,不是我。",
        "en": "That command is addressed to @{bot}, not to me.",
    },
    "unknown_command": {
        "zh": "我不认识这个命令。/help 列出全部命令。",
        "en": "I do not know that command. /help lists them all.",
    },
    "admins_only": {"zh": "这个命令仅限管理员。", "en": "This command is for administrators only."},
    "checked": {"zh": "已检查 {count} 个文件:", "en": "Checked {count} documents:"},
    "check_line": {"zh": "{name}/{kind}:{outcome}", "en": "{name}/{kind}: {outcome}"},
    "stats": {
        "zh": "<b>运行状态</b>\n平台 {platforms} · 文件 {documents} · 版本 {versions}\n"
        "订阅者 {subscribers}(活跃)· 关注 {subscriptions}\n最近一次检查:{last_check}\n失败中的文件:{failing}",
        "en": "<b>Status</b>\nPlatforms {platforms} · documents {documents} · versions {versions}\n"
        "Subscribers {subscribers} (active) · follows {subscriptions}\nLast check: {last_check}\n"
        "Failing documents: {failing}",
    },
    "outcome_unchanged": {"zh": "未变化", "en": "unchanged"},
    "outcome_not_modified": {"zh": "未修改 (304)", "en": "not modified (304)"},
    "outcome_new_version": {"zh": "新版本 #{version}", "en": "new version #{version}"},
    "outcome_baseline": {"zh": "首个版本 #{version}", "en": "first version #{version}"},
    "outcome_reverted": {"zh": "恢复为旧版本 #{version}", "en": "back to version #{version}"},
    "outcome_failed": {"zh": "失败:{reason}", "en": "failed: {reason}"},
    "failing_line": {
        "zh": "{slug}/{kind}(连续 {count} 次:{reason})",
        "en": "{slug}/{kind} ({count} in a row: {reason})",
    },
    "settings": {
        "zh": "<b>提醒设置</b>\n选择你想收到的提醒:",
        "en": "<b>Alert settings</b>\nPick the alerts you want:",
    },
    "setting_all": {"zh": "每次变化都提醒", "en": "Every change"},
    "setting_moderate": {"zh": "仅中等及重大变化", "en": "Moderate and major changes only"},
    "setting_digest": {"zh": "每周摘要", "en": "Weekly digest"},
    "setting_saved": {"zh": "已保存:{choice}", "en": "Saved: {choice}"},
    "alert_title": {"zh": "🔔 <b>{name} · {kind}</b> 有更新", "en": "🔔 <b>{name} · {kind}</b> changed"},
    "alert_dates": {
        "zh": "政策更新日期 {updated} · 生效日期 {effective}",
        "en": "Stated update date {updated} · effective {effective}",
    },
    "digest_title": {
        "zh": "<b>📰 本周政策变化</b>(共 {count} 项)",
        "en": "<b>📰 This week's policy changes</b> ({count})",
    },
    "admin_failing": {
        "zh": "⚠️ {slug}/{kind} 连续 {count} 次检查失败:\n{reasons}",
        "en": "⚠️ {slug}/{kind} failed {count} checks in a row:\n{reasons}",
    },
    "admin_recovered": {
        "zh": "✅ {slug}/{kind} 已恢复正常。",
        "en": "✅ {slug}/{kind} is fetched fine again.",
    },
    "admin_llm_cap": {
        "zh": "⚠️ 今天(UTC)的模型调用已达上限 LLM_DAILY_CALLS={cap}:到 UTC 午夜之前,新的报告都是自动报告。",
        "en": "⚠️ Today's model calls (UTC) reached LLM_DAILY_CALLS={cap}: until midnight UTC, new reports "
        "are the automatic ones.",
    },
    "never": {"zh": "尚未检查", "en": "never"},
    "none": {"zh": "无", "en": "none"},
    "error": {
        "zh": "抱歉,出了点问题,我们已记录下来。请稍后再试。",
        "en": "Sorry, something went wrong; it has been logged. Please try again later.",
    },
    "gone": {
        "zh": "这个选项已失效,请重新发送命令。",
        "en": "This button has expired; please send the command again.",
    },
}


def language_of(code: str | None) -> str:
    """zh for any zh-* Telegram language code, else en."""
    return "zh" if (code or "").lower().startswith("zh") else "en"


def say(language: str, key: str, **values: object) -> str:
    """The text ``key`` in ``language`` with ``values`` filled in (escape them first)."""
    text = TEXTS[key][language]
    return text.format(**values) if values else text
