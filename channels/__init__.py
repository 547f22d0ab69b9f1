"""Push channels besides Telegram: 企业微信, 钉钉 and 飞书 group robots and e-mail, and 钉钉
Stream mode for two-way chat without a public IP. Thin over the core services; never imports
``api`` or ``bot``."""
